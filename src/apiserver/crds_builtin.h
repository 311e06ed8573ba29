/* zke.io's CustomResourceDefinitions, embedded from deploy/crds/ (every .yaml) at
 * build time (scripts/embed.py): zke server installs them, and `deploy/`
 * installs the same files into other clusters. */
#ifndef ZK_APIS_CRDS_BUILTIN_H
#define ZK_APIS_CRDS_BUILTIN_H

/* The YAML texts, then NULL; and their file names, then NULL. */
extern const char *const zk_builtin_crds[];
extern const char *const zk_builtin_crds_names[];

#endif
