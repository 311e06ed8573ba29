/* zke image: import archives into the node's image store and list it. The
 * store is DATA/images, the one the node agent of `zke server --data-dir
 * DATA` runs containers from. */
#include "cli/image.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "agent/images.h"
#include "agent/registries.h"
#include "agent/unpack.h"
#include "base/mem.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: zke image import --data-dir DIR [--name REF] FILE...\n"
            "       zke image pull --data-dir DIR [--insecure] [--endpoint URL] [--username U\n"
            "                      --password-file F] REF\n"
            "       zke image ls --data-dir DIR\n"
            "       zke image inspect --data-dir DIR REF\n"
            "       zke image unpack --data-dir DIR REF ROOTFS\n"
            "\n"
            "  import   store the images of OCI image layout or `docker save` archives\n"
            "           (tar, optionally gzip-compressed)\n"
            "  pull     fetch an image from its OCI registry (plain HTTP to loopback ones)\n"
            "  ls       list the stored images: reference, manifest digest, size\n"
            "  inspect  print an image's config and layers\n"
            "  unpack   write an image's root filesystem into the empty directory ROOTFS\n"
            "\n"
            "  --data-dir DIR   the data dir of `zke server` or `zke agent` (images in DIR/images)\n"
            "  --name REF       name for an OCI image whose archive carries only a tag, or none\n"
            "  --insecure       pull over plain HTTP\n"
            "  --endpoint URL   pull from this registry (a mirror) instead of the image's;\n"
            "                   without it, DIR/registries.yaml (k3s's format) names mirrors\n"
            "  --username U, --password-file F   registry credentials (basic or token)\n");
}

static void human(int64_t n, char *out, size_t len)
{
    const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)n;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, units[u]);
}

static void print_row(void *ctx, const zk_agent_image *img)
{
    const char *verb = ctx;
    char size[32];
    human(img->size, size, sizeof(size));
    if (verb)
        printf("%s %s %s\n", verb, img->ref, img->digest);
    else
        printf("%-60s %-24.19s %10s\n", img->ref, img->digest, size);
}

static void print_inspect(void *ctx, const zk_agent_image *img)
{
    printf("reference: %s\nmanifest:  %s\nconfig:    %s\nsize:      %lld\nlayers:\n", img->ref,
           img->digest, img->config, (long long)img->size);
    for (size_t i = 0; i < img->nlayers; i++)
        printf("  - %s %lld %s\n", img->layers[i].digest, (long long)img->layers[i].size,
               img->layers[i].media_type);
}

int zk_cli_image_main(int argc, char **argv)
{
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    const char *verb = argv[1];
    const char *data_dir = NULL, *name = NULL, *password_file = NULL;
    zk_agent_pull_opts po = {0};
    static const struct option opts[] = {
        {"data-dir", required_argument, NULL, 'd'},
        {"name", required_argument, NULL, 'n'},
        {"insecure", no_argument, NULL, 'I'},
        {"endpoint", required_argument, NULL, 'e'},
        {"username", required_argument, NULL, 'u'},
        {"password-file", required_argument, NULL, 'p'},
        {"help", no_argument, NULL, 'h'},
        {0},
    };
    optind = 2;
    int c;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            data_dir = optarg;
            break;
        case 'n':
            name = optarg;
            break;
        case 'I':
            po.insecure = true;
            break;
        case 'e':
            po.endpoint = optarg;
            break;
        case 'u':
            po.username = optarg;
            break;
        case 'p':
            password_file = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!data_dir) {
        fprintf(stderr, "zke image %s: --data-dir is required\n", verb);
        return 2;
    }
    bool is_import = !strcmp(verb, "import"), is_ls = !strcmp(verb, "ls"),
         is_inspect = !strcmp(verb, "inspect"), is_unpack = !strcmp(verb, "unpack"),
         is_pull = !strcmp(verb, "pull");
    if (!is_import && !is_ls && !is_inspect && !is_unpack && !is_pull) {
        fprintf(stderr, "zke image: unknown command \"%s\" (import, pull, ls, inspect, unpack)\n",
                verb);
        return 2;
    }
    if ((is_import && optind >= argc) || (is_inspect && optind + 1 != argc) ||
        (is_ls && optind != argc) || (is_unpack && optind + 2 != argc) ||
        (is_pull && optind + 1 != argc)) {
        usage(stderr);
        return 2;
    }
    zk_err err = {0};
    zk_autofree char *dir = zk_xasprintf("%s/images", data_dir);
    zk_agent_images *s = zk_agent_images_open(dir, &err);
    if (!s) {
        fprintf(stderr, "zke image %s: %s\n", verb, err.msg);
        return 1;
    }
    int rc = 0;
    char password[1024] = "";
    if (password_file) {
        FILE *pf = fopen(password_file, "re");
        if (!pf || !fgets(password, sizeof(password), pf)) {
            fprintf(stderr, "zke image %s: cannot read %s\n", verb, password_file);
            if (pf)
                fclose(pf);
            zk_agent_images_close(s);
            return 1;
        }
        fclose(pf);
        password[strcspn(password, "\r\n")] = '\0';
        po.password = password;
    }
    zk_registries *regs = NULL;
    if (is_pull && !po.endpoint) {
        /* mirrors and credentials, as k3s reads them */
        zk_autofree char *rp = zk_xasprintf("%s/registries.yaml", data_dir);
        if (zk_registries_load(rp, &regs, &err) < 0) {
            fprintf(stderr, "zke image pull: %s\n", err.msg);
            zk_agent_images_close(s);
            return 1;
        }
        po.registries = regs;
    }
    if (is_pull) {
        zk_agent_image img;
        if (zk_agent_images_pull(s, argv[optind], &po, &img, &err) < 0) {
            fprintf(stderr, "zke image pull: %s\n", err.msg);
            rc = 1;
        } else {
            print_row("pulled", &img);
            zk_agent_image_clear(&img);
        }
    } else if (is_import) {
        for (int i = optind; i < argc && rc == 0; i++)
            if (zk_agent_images_import(s, argv[i], name, print_row, "imported", &err) < 0) {
                fprintf(stderr, "zke image import: %s\n", err.msg);
                rc = 1;
            }
    } else if (is_ls) {
        printf("%-60s %-24s %10s\n", "IMAGE", "DIGEST", "SIZE");
        if (zk_agent_images_list(s, print_row, NULL, &err) < 0) {
            fprintf(stderr, "zke image ls: %s\n", err.msg);
            rc = 1;
        }
    } else {
        zk_agent_image img;
        memset(&img, 0, sizeof(img));
        zk_agent_unpack_opts uo = {.keep_owner = geteuid() == 0};
        if (zk_agent_images_get(s, argv[optind], &img, &err) < 0) {
            fprintf(stderr, "zke image %s: %s\n", verb, err.msg);
            rc = 1;
        } else if (is_inspect) {
            print_inspect(NULL, &img);
        } else if (zk_agent_unpack_image(s, &img, argv[optind + 1], &uo, &err) < 0) {
            fprintf(stderr, "zke image unpack: %s\n", err.msg);
            rc = 1;
        }
        zk_agent_image_clear(&img);
    }
    zk_registries_free(regs);
    zk_agent_images_close(s);
    return rc;
}
