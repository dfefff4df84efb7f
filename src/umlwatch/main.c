/* umlwatch -- work in progress */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "umlwatch: not built yet\n");
	return 1;
}
