/* zke kube: server-side Table printing for `kubectl get` (meta.k8s.io/v1 Table).
 *
 * kubectl asks for `Accept: application/json;as=Table;v=v1;g=meta.k8s.io` and
 * prints the server's columns. A printer is one descriptor per resource:
 * its column definitions and a row function that computes the cells of one
 * object. Every column is always filled, the -o wide ones (priority 1)
 * included; kubectl hides priority-1 columns itself unless asked for wide.
 *
 * Cells follow Kubernetes' printers (pkg/printers/internalversion): the same
 * column names, types and cell values, e.g. a pod's READY "1/2" and STATUS
 * "Init:0/1", a service's PORT(S) "80/TCP,443:30443/TCP". Resources without
 * their own printer get the default one: Name and Created At.
 *
 * Printers are immutable once built, so one printer may serve many threads;
 * row functions only read the object. */
#ifndef ZK_KUBE_TABLE_H
#define ZK_KUBE_TABLE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

typedef struct zk_table_column {
    const char *name;         /* "Name", "Ready", "Nominated Node" ... */
    const char *type;         /* "string" | "integer" | "number" | "boolean" | "date" */
    const char *format;       /* "name" for the NAME column, else "" (or a CRD's format) */
    const char *description;
    int priority;             /* 0 always shown, 1 only with -o wide */
} zk_table_column;

typedef struct zk_table_printer zk_table_printer;

struct zk_table_printer {
    const zk_table_column *columns;
    size_t ncolumns;
    /* Append one cell per column to cells (a JSON array) for obj; now is the
     * wall clock in seconds (ages are computed against it). Set for the
     * built-in printers. */
    void (*row)(const json_t *obj, json_t *cells, int64_t now);
    /* Printers built at run time (CRDs) need their own state: they set
     * row_ex and data instead of row. Call zk_kube_table_cells() rather than
     * either pointer to stay independent of which one a printer has. */
    void (*row_ex)(const zk_table_printer *p, const json_t *obj, json_t *cells, int64_t now);
    void *data;
    /* Optional: rows[].conditions for obj as a new array, or NULL for none
     * (pods report {"type":"Completed",...} once they succeeded or failed). */
    json_t *(*conditions)(const json_t *obj);
};

/* The printer for a built-in resource, e.g. ("", "pods"), ("apps",
 * "deployments"), ("events.k8s.io", "events"). group "" (or NULL) is the core
 * group. Returns NULL for resources without one: use the default printer.
 * Printers are static; never free them. */
const zk_table_printer *zk_kube_table_printer_for(const char *group, const char *resource);

/* Kubernetes' default table convertor: Name and Created At (type date,
 * RFC 3339 in UTC). Used by resources such as roles, clusterroles,
 * limitranges and customresourcedefinitions. */
const zk_table_printer *zk_kube_table_default_printer(void);

/* The cells of one object as a new array (one per column). */
json_t *zk_kube_table_cells(const zk_table_printer *p, const json_t *obj, int64_t now);

typedef struct zk_table_opts {
    const char *include_object;   /* "Metadata" (NULL or "" mean this), "Object", "None" */
    const char *resource_version; /* metadata.resourceVersion, NULL/"" to omit */
    const char *cont;             /* metadata.continue, NULL/"" to omit */
    int64_t remaining;            /* metadata.remainingItemCount, < 0 to omit */
    bool no_headers;              /* omit columnDefinitions (later watch events) */
} zk_table_opts;

/* Build a Table for n objects (borrowed; copied into the table as asked).
 * rows[].object is a PartialObjectMetadata (apiVersion meta.k8s.io/v1, kind
 * PartialObjectMetadata, the object's metadata) for include_object
 * "Metadata", the whole object for "Object", and absent for "None".
 * Returns a new reference, or NULL when include_object is none of those
 * (the API answers 400 BadRequest: unrecognized includeObject value). */
json_t *zk_kube_table_build_opts(const zk_table_printer *p, const json_t *const *objs, size_t n,
                                 const zk_table_opts *opts, int64_t now);

/* zk_kube_table_build_opts with list_rv and cont as metadata.resourceVersion
 * and metadata.continue, no remainingItemCount, headers included. */
json_t *zk_kube_table_build(const zk_table_printer *p, const json_t *const *objs, size_t n,
                            const char *include_object, const char *list_rv, const char *cont,
                            int64_t now);

/* A printer for one CRD version from its additionalPrinterColumns (an array
 * of {name, type, format, description, priority, jsonPath}; NULL or empty is
 * allowed). As Kubernetes does, NAME (metadata.name) always comes first, then
 * the given columns in order; when none are given the single column is Age
 * (type date, jsonPath .metadata.creationTimestamp). No Age column is added
 * when columns are given: CRDs that want one declare it.
 * Cells: a missing value is null (kubectl prints <none>); "string" columns
 * print the value as text (objects/arrays as JSON), "integer"/"number"/
 * "boolean" pass matching JSON values and null otherwise, "date" prints the
 * age of an RFC 3339 string ("<invalid>" when unparseable).
 * Returns 0 and *out (free with zk_kube_table_printer_free), or -ZK_EINVAL /
 * -ZK_EPARSE / -ZK_ETOOBIG naming the bad column; callers then fall back to
 * the default printer, as Kubernetes does. */
int zk_kube_table_crd_printer_new(const json_t *additional_printer_columns, zk_table_printer **out,
                                  zk_err *err);

/* Same, returning the printer or NULL with err set. */
zk_table_printer *zk_kube_table_crd_printer(const json_t *additional_printer_columns, zk_err *err);

/* Free a printer from zk_kube_table_crd_printer*(); NULL and the static
 * printers are ignored. */
void zk_kube_table_printer_free(zk_table_printer *p);

static inline void zk__table_printer_freep(zk_table_printer **p) { zk_kube_table_printer_free(*p); }
#define zk_autoprinter __attribute__((cleanup(zk__table_printer_freep)))

#endif
