/* umljail -- the jail helper of umlmon(8): executed by the monitor for
 * each boot, it jails itself, starts the UML kernel and watches it. */
#include "umljail/jailer.h"

int main(int argc, char **argv)
{
	return jailer_main(argc, argv);
}
