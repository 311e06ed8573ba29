/* zke: one binary, many subcommands. This file only dispatches. */
#include <stdio.h>
#include <string.h>

#include "apiserver/server.h"

static int cmd_version(int argc, char **argv)
{
    printf("zke version v%s\n", ZK_VERSION);
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke <command> [options]\n"
            "\n"
            "commands:\n"
            "  server    run the API server (and its store) on this machine\n"
            "  version   print the version\n"
            "\n"
            "Run 'zke <command> --help' for a command's options.\n");
}

int main(int argc, char **argv)
{
    static const struct {
        const char *name;
        int (*run)(int argc, char **argv);
    } commands[] = {
        {"server", zk_apis_server_main},
        {"version", cmd_version},
    };
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version"))
        return cmd_version(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "zke: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return 2;
}
