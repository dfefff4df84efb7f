/* fuzzutil.c -- helpers of the harnesses (fuzz.h). */
#include "fuzz.h"

#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

void fuzz_die(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

int fuzz_memfd(const char *name, const uint8_t *data, size_t size)
{
	int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	size_t done = 0;

	if (fd < 0)
		fuzz_die("memfd_create: %m");
	while (done < size) {
		ssize_t n = write(fd, data + done, size - done);

		if (n < 0)
			fuzz_die("writing a memfd: %m");
		done += (size_t)n;
	}
	/* the code under test may not change its input */
	if (fcntl(fd, F_ADD_SEALS,
		  F_SEAL_WRITE | F_SEAL_GROW | F_SEAL_SHRINK | F_SEAL_SEAL) < 0)
		fuzz_die("sealing a memfd: %m");
	return fd;
}
