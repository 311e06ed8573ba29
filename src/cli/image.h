/* zke image: the node's image store from the command line. */
#ifndef ZK_CLI_IMAGE_H
#define ZK_CLI_IMAGE_H

/* `zke image import|ls|inspect ...`; returns the process exit code. */
int zk_cli_image_main(int argc, char **argv);

#endif
