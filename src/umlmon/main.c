/* umlmon -- work in progress */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "umlmon: not built yet\n");
	return 1;
}
