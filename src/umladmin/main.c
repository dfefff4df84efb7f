/* umladmin -- work in progress */
#include <stdio.h>
int main(void)
{
	fprintf(stderr, "umladmin: not built yet\n");
	return 1;
}
