#!/usr/bin/env python3
# The test vectors of umlmon-auth-1 (docs/PROTOCOL.md, "A worked example"),
# computed independently of the C code with Python's hashlib and hmac:
# test_auth.c holds what this prints. Run: python3 tests/unit/auth_vectors.py
import hashlib
import hmac
import struct


def key(password, vm, iterations):
    return hashlib.pbkdf2_hmac('sha256', password.encode(),
                               b'umlmon-auth-1:' + vm.encode(), iterations, 32)


def transcript(vm, cnonce, snonce, iterations, binding):
    return (b'umlmon-auth-1' + struct.pack('>I', len(vm)) + vm.encode() +
            cnonce + snonce + struct.pack('>I', iterations) +
            struct.pack('>I', len(binding)) + binding)


def mac(k, data):
    return hmac.new(k, data, hashlib.sha256).digest()


vm, it = 'vm1', 10000
cnonce = bytes(range(0x00, 0x20))
snonce = bytes(range(0xa0, 0xc0))
binding = bytes(range(0x40, 0x60))
K = key('correct horse battery', vm, it)
M = key('master password 1', vm, it)
print('K (vm1, "correct horse battery")', K.hex())
print('M (vm1, "master password 1")', M.hex())
print('M (vm2, "master password 1")', key('master password 1', 'vm2', it).hex())
for name, b in (('without TLS', b''), ('binding 40..5f', binding)):
    t = transcript(vm, cnonce, snonce, it, b)
    print(name, 'T', t.hex())
    for label in ('client proof', 'server proof', 'client to server',
                  'server to client'):
        print(name, label, mac(K, label.encode() + t).hex())
    print(name, 'client proof with M', mac(M, b'client proof' + t).hex())
c2s = mac(K, b'client to server' + transcript(vm, cnonce, snonce, it, b''))
for seq, msg in ((0, b'hello'), (1, b'')):
    body = struct.pack('>Q', seq) + msg
    print('sealed record', seq, (body + mac(c2s, body)).hex())
