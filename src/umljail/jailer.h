/* jailer.h -- the jail helper umljail (see jailer.c). */
#ifndef UMLMON_JAILER_H
#define UMLMON_JAILER_H

/* Runs the steps and then watches the kernel; returns only on a misuse
 * (arguments given). */
int jailer_main(int argc, char **argv);

#endif
