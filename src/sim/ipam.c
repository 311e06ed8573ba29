/* zke sim: pod IP pools (see ipam.h). */
#include "sim/ipam.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

bool zk_sim_ipv4_parse(const char *s, uint32_t *out)
{
    uint32_t a = 0;
    for (int part = 0; part < 4; part++) {
        if (*s < '0' || *s > '9')
            return false;
        unsigned v = 0;
        int digits = 0;
        while (*s >= '0' && *s <= '9') {
            v = v * 10 + (unsigned)(*s++ - '0');
            if (++digits > 3 || v > 255)
                return false;
        }
        a = a << 8 | v;
        if (part < 3 && *s++ != '.')
            return false;
    }
    if (*s)
        return false;
    *out = a;
    return true;
}

void zk_sim_ipv4_format(uint32_t a, char *out, size_t n)
{
    snprintf(out, n, "%u.%u.%u.%u", a >> 24, (a >> 16) & 255, (a >> 8) & 255, a & 255);
}

int zk_sim_ipam_init(zk_sim_ipam *p, const char *cidr, zk_err *err)
{
    memset(p, 0, sizeof(*p));
    const char *slash = cidr ? strchr(cidr, '/') : NULL;
    char addr[20];
    if (!slash || (size_t)(slash - cidr) >= sizeof(addr))
        return zk_err_set(err, ZK_EINVAL, "pod CIDR \"%s\" is not an IPv4 a.b.c.d/len",
                          cidr ? cidr : "");
    memcpy(addr, cidr, (size_t)(slash - cidr));
    addr[slash - cidr] = 0;
    char *end;
    long len = strtol(slash + 1, &end, 10);
    uint32_t a;
    if (!zk_sim_ipv4_parse(addr, &a) || *end || end == slash + 1 || len < 8 || len > 30)
        return zk_err_set(err, ZK_EINVAL,
                          "pod CIDR \"%s\" is not an IPv4 a.b.c.d/len with len 8-30", cidr);
    uint64_t size = (uint64_t)1 << (32 - len);
    p->base = a & (uint32_t)~(size - 1);
    p->size = size > ZK_SIM_IPAM_MAX ? ZK_SIM_IPAM_MAX : (uint32_t)size;
    p->next = 2;   /* offsets 0 and 1 and the broadcast address are never handed out */
    return 0;
}

void zk_sim_ipam_free(zk_sim_ipam *p)
{
    free(p->bits);
    p->bits = NULL;
}

/* The last usable offset + 1: the broadcast address of a full-size pool is
 * excluded; a capped pool has no broadcast address inside it. */
static uint32_t limit(const zk_sim_ipam *p)
{
    return p->size - 1 + (p->size == ZK_SIM_IPAM_MAX ? 1 : 0);
}

uint32_t zk_sim_ipam_capacity(const zk_sim_ipam *p)
{
    return limit(p) > 2 ? limit(p) - 2 : 0;
}

static bool usable(const zk_sim_ipam *p, uint32_t off)
{
    return off >= 2 && off < limit(p);
}

static bool taken(const zk_sim_ipam *p, uint32_t off)
{
    return p->bits && (p->bits[off >> 3] >> (off & 7)) & 1;
}

static void mark(zk_sim_ipam *p, uint32_t off, bool on)
{
    if (!p->bits)
        p->bits = zk_xcalloc((p->size + 7) / 8, 1);
    if (on)
        p->bits[off >> 3] |= (uint8_t)(1u << (off & 7));
    else
        p->bits[off >> 3] &= (uint8_t) ~(1u << (off & 7));
}

int zk_sim_ipam_alloc(zk_sim_ipam *p, char *out, size_t n)
{
    uint32_t lim = limit(p);
    if (lim <= 2 || p->used >= lim - 2)
        return -ZK_ETOOBIG;
    uint32_t off = p->next;
    for (uint32_t tries = 0; tries < lim; tries++, off++) {
        if (off >= lim)
            off = 2;
        if (!taken(p, off))
            break;
    }
    mark(p, off, true);
    p->used++;
    p->next = off + 1 >= lim ? 2 : off + 1;
    zk_sim_ipv4_format(p->base + off, out, n);
    return 0;
}

/* The offset of ip in the pool, or false when it is not one it hands out. */
static bool offset_of(const zk_sim_ipam *p, const char *ip, uint32_t *off)
{
    uint32_t a;
    if (!ip || !zk_sim_ipv4_parse(ip, &a) || a < p->base || a - p->base >= p->size)
        return false;
    *off = a - p->base;
    return usable(p, *off);
}

bool zk_sim_ipam_reserve(zk_sim_ipam *p, const char *ip)
{
    uint32_t off;
    if (!offset_of(p, ip, &off) || taken(p, off))
        return false;
    mark(p, off, true);
    p->used++;
    return true;
}

bool zk_sim_ipam_release(zk_sim_ipam *p, const char *ip)
{
    uint32_t off;
    if (!offset_of(p, ip, &off) || !taken(p, off))
        return false;
    mark(p, off, false);
    p->used--;
    return true;
}
