/* netsink -- a static TCP sink for bench/net.sh, run inside the guest:
 * accepts connections on PORT one after the other and reads each to its
 * end with large reads, so that the guest's system calls (expensive in
 * UML) do not set the pace. Usage: netsink PORT */
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	static char buf[1 << 20];
	struct sockaddr_in sa = {.sin_family = AF_INET};
	int one = 1, rcv = 4 << 20, s;

	if (argc != 2) {
		fprintf(stderr, "usage: netsink PORT\n");
		return 2;
	}
	sa.sin_port = htons((unsigned short)atoi(argv[1]));
	s = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (s < 0 || bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(s, 4) < 0) {
		perror("netsink");
		return 1;
	}
	for (;;) {
		int c = accept(s, NULL, NULL);

		if (c < 0)
			continue;
		while (read(c, buf, sizeof(buf)) > 0)
			;
		close(c);
	}
}
