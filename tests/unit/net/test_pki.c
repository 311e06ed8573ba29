#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <ftw.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/mem.h"
#include "net/pki.h"

static const char *const extra_sans[] = {"zke.example.com", "10.43.0.1", "192.168.7.5", "fd00::10"};

typedef struct fixture {
    char root[64];  /* mkdtemp dir, removed at the end */
    char *pki;      /* root/pki, created by zk_net_pki_ensure */
} fixture;

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    return remove(path);
}

static char *path_in(const fixture *f, const char *name)
{
    return zk_xasprintf("%s/%s", f->pki, name);
}

static bool have_command(const char *name)
{
    char *cmd = zk_xasprintf("command -v %s >/dev/null 2>&1", name);
    int rc = system(cmd);
    free(cmd);
    return rc == 0;
}

static int setup(void **state)
{
    fixture *f = zk_xcalloc(1, sizeof(*f));
    snprintf(f->root, sizeof(f->root), "/tmp/zke-pki-test.XXXXXX");
    if (!mkdtemp(f->root))
        return -1;
    f->pki = zk_xasprintf("%s/pki", f->root);
    zk_err err = {0};
    if (zk_net_pki_ensure(f->pki, extra_sans, ZK_ARRAY_LEN(extra_sans), &err) != 0) {
        fprintf(stderr, "ensure: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture *f = *state;
    nftw(f->root, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    free(f->pki);
    free(f);
    return 0;
}

static X509 *load_cert(const fixture *f, const char *name)
{
    zk_autofree char *p = path_in(f, name);
    X509 *c = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_pki_load_cert(p, &c, &err), 0);
    return c;
}

static mode_t mode_of(const fixture *f, const char *name)
{
    zk_autofree char *p = path_in(f, name);
    struct stat st;
    assert_int_equal(stat(p, &st), 0);
    return st.st_mode & 07777;
}

static char *slurp(const fixture *f, const char *name)
{
    zk_autofree char *p = path_in(f, name);
    char *data = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_pki_read_file(p, ZK_NET_PKI_MAX_FILE, &data, NULL, &err), 0);
    return data;
}

/* X509_verify_cert of cert against the fixture's CA for the given purpose. */
static int verify_chain(const fixture *f, X509 *cert, int purpose)
{
    zk_net_autox509 X509 *ca = load_cert(f, "ca.crt");
    X509_STORE *store = X509_STORE_new();
    X509_STORE_add_cert(store, ca);
    X509_STORE_CTX *ctx = X509_STORE_CTX_new();
    X509_STORE_CTX_init(ctx, store, cert, NULL);
    X509_STORE_CTX_set_purpose(ctx, purpose);
    int ok = X509_verify_cert(ctx);
    if (ok != 1)
        fprintf(stderr, "verify: %s\n",
                X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
    X509_STORE_CTX_free(ctx);
    X509_STORE_free(store);
    return ok;
}

static void test_files_and_modes(void **state)
{
    fixture *f = *state;
    struct stat st;
    assert_int_equal(stat(f->pki, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(mode_of(f, "ca.key"), 0600);
    assert_int_equal(mode_of(f, "server.key"), 0600);
    assert_int_equal(mode_of(f, "admin.key"), 0600);
    assert_int_equal(mode_of(f, "sa.key"), 0600);
    assert_int_equal(mode_of(f, "ca.crt"), 0644);
    assert_int_equal(mode_of(f, "server.crt"), 0644);
    assert_int_equal(mode_of(f, "admin.crt"), 0644);
    assert_int_equal(mode_of(f, "sa.pub"), 0644);

    /* Atomic writes leave no temporary files behind. */
    DIR *d = opendir(f->pki);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        assert_null(strstr(e->d_name, ".tmp."));
        n++;
    }
    closedir(d);
    assert_int_equal(n, 8);
}

static void test_ca_is_a_ca(void **state)
{
    fixture *f = *state;
    zk_net_autox509 X509 *ca = load_cert(f, "ca.crt");
    assert_int_equal(X509_check_ca(ca), 1);
    assert_int_equal(verify_chain(f, ca, X509_PURPOSE_ANY), 1);
    /* Ten years, give or take the backdating. */
    time_t nine_years = time(NULL) + (time_t)9 * 365 * 86400;
    assert_true(X509_cmp_time(X509_get0_notAfter(ca), &nine_years) > 0);
    zk_autofree char *key_path = path_in(f, "ca.key");
    zk_net_autopkey EVP_PKEY *key = NULL;
    assert_int_equal(zk_net_pki_load_key(key_path, &key, NULL), 0);
    assert_int_equal(X509_check_private_key(ca, key), 1);
}

static void test_server_cert_chains_and_has_sans(void **state)
{
    fixture *f = *state;
    zk_net_autox509 X509 *server = load_cert(f, "server.crt");
    assert_int_equal(verify_chain(f, server, X509_PURPOSE_SSL_SERVER), 1);

    static const char *const dns[] = {
        "localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local", "zke.example.com",
    };
    for (size_t i = 0; i < ZK_ARRAY_LEN(dns); i++)
        assert_int_equal(X509_check_host(server, dns[i], 0, 0, NULL), 1);
    static const char *const ips[] = {"127.0.0.1", "::1", "10.43.0.1", "192.168.7.5", "fd00::10"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(ips); i++)
        assert_int_equal(X509_check_ip_asc(server, ips[i], 0), 1);
    assert_int_equal(X509_check_host(server, "evil.example.org", 0, 0, NULL), 0);
    assert_int_equal(X509_check_ip_asc(server, "10.0.0.1", 0), 0);

    zk_autofree char *key_path = path_in(f, "server.key");
    zk_net_autopkey EVP_PKEY *key = NULL;
    assert_int_equal(zk_net_pki_load_key(key_path, &key, NULL), 0);
    assert_int_equal(X509_check_private_key(server, key), 1);
}

static void test_admin_identity(void **state)
{
    fixture *f = *state;
    zk_net_autox509 X509 *admin = load_cert(f, "admin.crt");
    assert_int_equal(verify_chain(f, admin, X509_PURPOSE_SSL_CLIENT), 1);
    /* A client certificate is not a serving certificate. */
    assert_int_not_equal(verify_chain(f, admin, X509_PURPOSE_SSL_SERVER), 1);

    char *user = NULL;
    char **groups = NULL;
    size_t ngroups = 0;
    assert_int_equal(zk_net_pki_peer_identity(admin, &user, &groups, &ngroups), 0);
    assert_string_equal(user, "zke-admin");
    assert_int_equal(ngroups, 1);
    assert_string_equal(groups[0], "system:masters");
    assert_null(groups[1]);
    free(user);
    zk_net_pki_free_groups(groups, ngroups);
}

static void test_sa_keys(void **state)
{
    fixture *f = *state;
    zk_autofree char *kp = path_in(f, "sa.key");
    zk_autofree char *pp = path_in(f, "sa.pub");
    zk_net_autopkey EVP_PKEY *key = NULL;
    zk_net_autopkey EVP_PKEY *pub = NULL;
    assert_int_equal(zk_net_pki_load_key(kp, &key, NULL), 0);
    assert_int_equal(zk_net_pki_load_pubkey(pp, &pub, NULL), 0);
    assert_true(EVP_PKEY_is_a(key, "RSA"));
    assert_int_equal(EVP_PKEY_get_bits(key), 2048);
    assert_int_equal(EVP_PKEY_eq(key, pub), 1);
    zk_autofree char *pem = slurp(f, "sa.pub");
    assert_non_null(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
}

static void test_second_call_reuses_files(void **state)
{
    fixture *f = *state;
    static const char *const names[] = {"ca.crt", "ca.key", "server.crt", "server.key",
                                        "admin.crt", "admin.key", "sa.key", "sa.pub"};
    char *before[ZK_ARRAY_LEN(names)];
    for (size_t i = 0; i < ZK_ARRAY_LEN(names); i++)
        before[i] = slurp(f, names[i]);
    zk_err err = {0};
    /* Same SANs in another order and spelling: still satisfied. */
    static const char *const sans[] = {"fd00:0::10", "ZKE.example.com", "10.43.0.1", "192.168.7.5"};
    assert_int_equal(zk_net_pki_ensure(f->pki, sans, ZK_ARRAY_LEN(sans), &err), 0);
    for (size_t i = 0; i < ZK_ARRAY_LEN(names); i++) {
        zk_autofree char *after = slurp(f, names[i]);
        assert_string_equal(before[i], after);
        free(before[i]);
    }
}

static void test_issue_client(void **state)
{
    fixture *f = *state;
    static const char *const orgs[] = {"dev", "ops"};
    char *cert_pem = NULL, *key_pem = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_pki_issue_client(f->pki, "alice", orgs, 2, &cert_pem, &key_pem, &err),
                     0);
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    zk_net_autox509 X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(key_pem, -1);
    zk_net_autopkey EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(cert);
    assert_non_null(key);
    assert_int_equal(X509_check_private_key(cert, key), 1);
    assert_int_equal(verify_chain(f, cert, X509_PURPOSE_SSL_CLIENT), 1);

    char *user = NULL;
    char **groups = NULL;
    size_t ngroups = 0;
    assert_int_equal(zk_net_pki_peer_identity(cert, &user, &groups, &ngroups), 0);
    assert_string_equal(user, "alice");
    assert_int_equal(ngroups, 2);
    assert_string_equal(groups[0], "dev");
    assert_string_equal(groups[1], "ops");
    free(user);
    zk_net_pki_free_groups(groups, ngroups);
    free(cert_pem);
    free(key_pem);

    assert_int_equal(zk_net_pki_issue_client(f->pki, "", NULL, 0, &cert_pem, &key_pem, &err),
                     -ZK_EINVAL);
    assert_null(cert_pem);
    assert_null(key_pem);
}

/* A key the client made: its public half is signed, weak or foreign keys
 * are refused. */
static void test_sign_client(void **state)
{
    fixture *f = *state;
    static const char *const orgs[] = {"system:nodes"};
    char *key_pem = NULL, *pub_pem = NULL, *cert_pem = NULL;
    zk_err err = {0};
    assert_int_equal(zk_net_pki_new_key(&key_pem, &pub_pem, &err), 0);
    assert_int_equal(zk_net_pki_sign_client(f->pki, "system:node:n1", orgs, 1, pub_pem,
                                            &cert_pem, &err), 0);
    BIO *b = BIO_new_mem_buf(cert_pem, -1);
    zk_net_autox509 X509 *cert = PEM_read_bio_X509(b, NULL, NULL, NULL);
    BIO_free(b);
    b = BIO_new_mem_buf(key_pem, -1);
    zk_net_autopkey EVP_PKEY *key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
    BIO_free(b);
    assert_non_null(cert);
    assert_int_equal(X509_check_private_key(cert, key), 1);
    assert_int_equal(verify_chain(f, cert, X509_PURPOSE_SSL_CLIENT), 1);
    free(cert_pem);
    cert_pem = NULL;
    assert_int_equal(zk_net_pki_sign_client(f->pki, "n", orgs, 1, "not a key", &cert_pem, &err),
                     -ZK_EINVAL);
    assert_null(cert_pem);
    /* RSA 1024 is too weak */
    zk_net_autopkey EVP_PKEY *weak = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
    zk_autofree char *weak_pub = zk_net_pki_pubkey_pem(weak);
    assert_int_equal(zk_net_pki_sign_client(f->pki, "n", orgs, 1, weak_pub, &cert_pem, &err),
                     -ZK_EINVAL);
    assert_non_null(strstr(err.msg, "P-256"));
    assert_int_equal(zk_net_pki_sign_client(f->pki, "", orgs, 1, pub_pem, &cert_pem, &err),
                     -ZK_EINVAL);
    free(pub_pem);
    free(key_pem);
}

static void test_peer_identity_without_cn(void **state)
{
    X509 *x = X509_new();
    X509_NAME *n = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(n, "O", MBSTRING_UTF8, (const unsigned char *)"grp", -1, -1, 0);
    char *user = NULL;
    char **groups = NULL;
    size_t ngroups = 9;
    assert_int_equal(zk_net_pki_peer_identity(x, &user, &groups, &ngroups), -ZK_EINVAL);
    assert_null(user);
    assert_null(groups);
    assert_int_equal(ngroups, 0);
    X509_free(x);
}

static void test_openssl_cli_verify(void **state)
{
    fixture *f = *state;
    if (!have_command("openssl")) {
        print_message("openssl CLI not found: skipping `openssl verify`\n");
        skip();
    }
    zk_autofree char *cmd = zk_xasprintf(
        "openssl verify -CAfile %s/ca.crt -purpose sslserver %s/server.crt >/dev/null && "
        "openssl verify -CAfile %s/ca.crt -purpose sslclient %s/admin.crt >/dev/null",
        f->pki, f->pki, f->pki, f->pki);
    assert_int_equal(system(cmd), 0);
}

static void test_kubeconfig(void **state)
{
    fixture *f = *state;
    zk_autofree char *ca = slurp(f, "ca.crt");
    zk_autofree char *crt = slurp(f, "admin.crt");
    zk_autofree char *key = slurp(f, "admin.key");
    zk_autofree char *path = zk_xasprintf("%s/kubeconfig.yaml", f->root);
    zk_err err = {0};
    assert_int_equal(zk_net_kubeconfig_write(path, "https://127.0.0.1:6443", ca, crt, key,
                                             "tok\"en", "zke", &err),
                     0);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);

    char *text = NULL;
    assert_int_equal(zk_net_pki_read_file(path, 1 << 20, &text, NULL, &err), 0);
    assert_non_null(strstr(text, "apiVersion: v1\nkind: Config\n"));
    assert_non_null(strstr(text, "certificate-authority-data: "));
    assert_non_null(strstr(text, "client-certificate-data: "));
    assert_non_null(strstr(text, "client-key-data: "));
    assert_non_null(strstr(text, "current-context: \"zke\""));
    assert_null(strstr(text, "BEGIN")); /* PEM only inside base64 */
    free(text);

    if (have_command("python3") && system("python3 -c 'import yaml' 2>/dev/null") == 0) {
        /* Parse as YAML and check the structure and the base64 round trip. */
        zk_autofree char *cmd = zk_xasprintf(
            "python3 -c '\n"
            "import sys, yaml, base64\n"
            "d = yaml.safe_load(open(sys.argv[1]))\n"
            "assert d[\"kind\"] == \"Config\" and d[\"current-context\"] == \"zke\"\n"
            "c = d[\"clusters\"][0][\"cluster\"]\n"
            "assert c[\"server\"] == \"https://127.0.0.1:6443\"\n"
            "assert base64.b64decode(c[\"certificate-authority-data\"]) == open(sys.argv[2], \"rb\").read()\n"
            "u = d[\"users\"][0][\"user\"]\n"
            "assert u[\"token\"] == \"tok\\\"en\"\n"
            "assert base64.b64decode(u[\"client-key-data\"]) == open(sys.argv[3], \"rb\").read()\n"
            "x = d[\"contexts\"][0]\n"
            "assert x[\"name\"] == \"zke\" and x[\"context\"] == {\"cluster\": \"zke\", \"user\": \"zke\"}\n"
            "' %s %s/ca.crt %s/admin.key",
            path, f->pki, f->pki);
        assert_int_equal(system(cmd), 0);
    } else {
        print_message("python3 yaml not available: YAML checked by string only\n");
    }
    if (have_command("kubectl")) {
        /* kubectl itself must accept the file (no server is contacted). */
        zk_autofree char *cmd = zk_xasprintf(
            "test \"$(kubectl config view --kubeconfig=%s --raw -o "
            "jsonpath='{.users[0].user.token}/{.current-context}')\" = 'tok\"en/zke'",
            path);
        assert_int_equal(system(cmd), 0);
    } else {
        print_message("kubectl not found: skipping kubectl config view\n");
    }

    /* Control characters cannot reach the YAML. */
    assert_int_equal(zk_net_kubeconfig_write(path, "https://x\nevil: 1", ca, crt, key, NULL,
                                             "zke", &err),
                     -ZK_EINVAL);
    /* Certificate without key. */
    assert_int_equal(zk_net_kubeconfig_write(path, "https://x", ca, crt, NULL, NULL, "zke", &err),
                     -ZK_EINVAL);
}

static void test_bad_sans_rejected(void **state)
{
    fixture *f = *state;
    static const char *const bad[] = {"", "bad name", "a,DNS:evil.com", "-x.com", "x..com",
                                      "1.2.3.4.5.6/8"};
    for (size_t i = 0; i < ZK_ARRAY_LEN(bad); i++) {
        zk_err err = {0};
        assert_int_equal(zk_net_pki_ensure(f->pki, &bad[i], 1, &err), -ZK_EINVAL);
        assert_non_null(strstr(err.msg, "SAN"));
    }
}

/* Own directory: these tests change the PKI. */
static void test_new_san_reissues_server_only(void **state)
{
    fixture *f = *state;
    zk_autofree char *ca_before = slurp(f, "ca.crt");
    zk_autofree char *admin_before = slurp(f, "admin.crt");
    zk_autofree char *server_before = slurp(f, "server.crt");
    static const char *const sans[] = {"zke.example.com", "10.43.0.1", "192.168.7.5", "fd00::10",
                                       "edge-7.example.com"};
    zk_err err = {0};
    assert_int_equal(zk_net_pki_ensure(f->pki, sans, ZK_ARRAY_LEN(sans), &err), 0);
    zk_autofree char *ca_after = slurp(f, "ca.crt");
    zk_autofree char *admin_after = slurp(f, "admin.crt");
    zk_autofree char *server_after = slurp(f, "server.crt");
    assert_string_equal(ca_before, ca_after);
    assert_string_equal(admin_before, admin_after);
    assert_string_not_equal(server_before, server_after);
    zk_net_autox509 X509 *server = load_cert(f, "server.crt");
    assert_int_equal(X509_check_host(server, "edge-7.example.com", 0, 0, NULL), 1);
    assert_int_equal(verify_chain(f, server, X509_PURPOSE_SSL_SERVER), 1);
}

static void test_lone_ca_cert_is_an_error(void **state)
{
    fixture *f = *state;
    zk_autofree char *key = path_in(f, "ca.key");
    zk_autofree char *saved = zk_xasprintf("%s.saved", key);
    assert_int_equal(rename(key, saved), 0);
    zk_err err = {0};
    assert_int_equal(zk_net_pki_ensure(f->pki, NULL, 0, &err), -ZK_EINVAL);
    assert_non_null(strstr(err.msg, "ca.key"));
    assert_int_equal(rename(saved, key), 0);
    /* A missing leaf half is simply issued again. */
    zk_autofree char *admin_key = path_in(f, "admin.key");
    assert_int_equal(unlink(admin_key), 0);
    assert_int_equal(zk_net_pki_ensure(f->pki, NULL, 0, &err), 0);
    zk_net_autox509 X509 *admin = load_cert(f, "admin.crt");
    zk_net_autopkey EVP_PKEY *k = NULL;
    assert_int_equal(zk_net_pki_load_key(admin_key, &k, NULL), 0);
    assert_int_equal(X509_check_private_key(admin, k), 1);
    assert_int_equal(mode_of(f, "admin.key"), 0600);
}

int main(void)
{
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_files_and_modes),
        cmocka_unit_test(test_ca_is_a_ca),
        cmocka_unit_test(test_server_cert_chains_and_has_sans),
        cmocka_unit_test(test_admin_identity),
        cmocka_unit_test(test_sa_keys),
        cmocka_unit_test(test_second_call_reuses_files),
        cmocka_unit_test(test_issue_client),
        cmocka_unit_test(test_sign_client),
        cmocka_unit_test(test_peer_identity_without_cn),
        cmocka_unit_test(test_openssl_cli_verify),
        cmocka_unit_test(test_kubeconfig),
        cmocka_unit_test(test_bad_sans_rejected),
    };
    const struct CMUnitTest changing[] = {
        cmocka_unit_test_setup_teardown(test_new_san_reissues_server_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_lone_ca_cert_is_an_error, setup, teardown),
    };
    int failed = cmocka_run_group_tests_name("pki", shared, setup, teardown);
    failed += cmocka_run_group_tests_name("pki-changes", changing, NULL, NULL);
    return failed;
}
