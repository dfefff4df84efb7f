/* ossl.h -- OpenSSL's headers for umlmon's code. Include it before any
 * other umlmon header: OpenSSL declares a type ERR_STATE, which is also a
 * code of enum err_code (util.h); here OpenSSL's is renamed, so both fit
 * in one file. */
#ifndef UMLMON_OSSL_H
#define UMLMON_OSSL_H

#ifdef UMLMON_UTIL_H
#error "common/ossl.h must come before common/util.h"
#endif

#define ERR_STATE OPENSSL_ERR_STATE
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/err.h>
#undef ERR_STATE

#endif
