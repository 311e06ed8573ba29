#include "kube/schema.h"

#include <string.h>

const zk_schema_field *zk_kube_schema_field(const zk_schema_type *t, const char *name)
{
    if (!t || !t->fields)
        return NULL;
    for (const zk_schema_field *f = t->fields; f->name; f++)
        if (!strcmp(f->name, name))
            return f;
    return NULL;
}
