#include "apiserver/server.h"

#include <stdio.h>

int zk_apis_server_main(int argc, char **argv)
{
    fprintf(stderr, "zke server: starting\n");
    return 1;
}
