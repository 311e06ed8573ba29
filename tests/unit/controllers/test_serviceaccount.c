/* The token controller's pure part: reading a token's lifetime and when to
 * renew it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <string.h>

#include "base/buf.h"
#include "base/json.h"
#include "base/mem.h"
#include "controllers/internal.h"
#include "net/jwt.h"

/* header.claims.signature with the given claims (the signature is not
 * looked at). New string. */
static char *token(const char *claims)
{
    zk_buf b;
    zk_buf_init(&b, 1 << 16);
    const char *hdr = "{\"alg\":\"RS256\"}";
    zk_net_jwt_b64url_encode(hdr, strlen(hdr), &b);
    zk_buf_putc(&b, '.');
    zk_net_jwt_b64url_encode(claims, strlen(claims), &b);
    zk_buf_puts(&b, ".c2ln");
    return zk_buf_steal(&b, NULL);
}

static void test_token_times(void **state)
{
    zk_autofree char *t = token("{\"iat\":1000,\"exp\":173800,\"kubernetes.io\":{\"namespace\":"
                                "\"a\",\"serviceaccount\":{\"name\":\"bot\",\"uid\":\"u1\"}}}");
    int64_t iat = 0, exp = 0;
    assert_int_equal(zk_ctl_token_times(t, "u1", &iat, &exp), 0);
    assert_int_equal(iat, 1000);
    assert_int_equal(exp, 173800);
    /* of another account (same name, new uid): not this account's token */
    assert_int_equal(zk_ctl_token_times(t, "u2", &iat, &exp), -1);
    assert_int_equal(zk_ctl_token_times(t, NULL, &iat, &exp), 0);
    /* no exp, or not a JWT */
    zk_autofree char *noexp = token("{\"iat\":1000}");
    assert_int_equal(zk_ctl_token_times(noexp, NULL, &iat, &exp), -1);
    assert_int_equal(zk_ctl_token_times("not-a-token", NULL, &iat, &exp), -1);
    assert_int_equal(zk_ctl_token_times("a.%%%.b", NULL, &iat, &exp), -1);
}

static void test_refresh_at(void **state)
{
    /* a fifth of the life left: 48 h token renewed 9.6 h before it ends */
    assert_int_equal(zk_ctl_token_refresh_at(0 + 1, 1 + 48 * 3600), 1 + 48 * 3600 - 48 * 720);
    assert_int_equal(zk_ctl_token_refresh_at(1000, 2000), 1800);
    /* unknown issue time: ten minutes before the end */
    assert_int_equal(zk_ctl_token_refresh_at(0, 100000), 100000 - 600);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_token_times),
        cmocka_unit_test(test_refresh_at),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
