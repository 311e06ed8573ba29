#!/usr/bin/env python3
"""Record the protobuf request bodies that the real kubectl sends.

Not run by the test suite. It starts a small HTTPS server on 127.0.0.1 (a
self-signed certificate made with openssl in a temporary directory) that
answers discovery well enough for kubectl, records the body and Content-Type
of every POST, and answers 201 with a minimal object of the posted kind. It
points kubectl at the server with a temporary kubeconfig and runs each command
below once; each body is saved as <name>.pb beside this script. For commands
that have --dry-run=client, it also saves kubectl's own JSON rendering of the
same object as <name>.json (the JSON a JSON client would have sent); the
others (create token, auth can-i) keep their hand-written <name>.json.
(kubectl run and create -f send JSON, so they have no vectors here.)

    python3 tests/unit/kube/data/protobuf/record.py [--kubectl /usr/bin/kubectl]

Everything stays on loopback and ends within a bounded time.
"""
import argparse
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HERE = os.path.dirname(os.path.abspath(__file__))
NS = 'pbtest'

# name, kubectl arguments, whether --dry-run=client -o json renders the object
COMMANDS = [
    ('namespace', ['create', 'namespace', NS], True),
    ('configmap', ['create', 'configmap', 'cm1', '--from-literal=a=1',
                   '--from-literal=b=two words', '-n', NS], True),
    ('secret', ['create', 'secret', 'generic', 's1', '--from-literal=user=admin',
                '--from-literal=pass=s3cr\u00e9t', '-n', NS], True),
    ('secret_docker', ['create', 'secret', 'docker-registry', 'reg1',
                       '--docker-server=registry.example.test', '--docker-username=u',
                       '--docker-password=p', '-n', NS], True),
    ('serviceaccount', ['create', 'serviceaccount', 'sa1', '-n', NS], True),
    ('service', ['create', 'service', 'clusterip', 'svc1', '--tcp=80:8080', '-n', NS], True),
    ('quota', ['create', 'quota', 'q1', '--hard=cpu=1,pods=2,memory=1Gi', '-n', NS], True),
    ('deployment', ['create', 'deployment', 'web', '--image=nginx', '--replicas=2',
                    '--port=80', '-n', NS], True),
    ('deployment_zero', ['create', 'deployment', 'idle', '--image=nginx', '--replicas=0',
                         '-n', NS], True),
    ('role', ['create', 'role', 'r1', '--verb=get', '--verb=list', '--resource=pods',
              '-n', NS], True),
    ('rolebinding', ['create', 'rolebinding', 'rb1', '--role=r1', '--user=u',
                     '--serviceaccount=pbtest:sa1', '-n', NS], True),
    ('clusterrole', ['create', 'clusterrole', 'cr1', '--verb=get',
                     '--resource=deployments.apps'], True),
    ('clusterrolebinding', ['create', 'clusterrolebinding', 'crb1', '--clusterrole=cr1',
                            '--group=devs'], True),
    ('job', ['create', 'job', 'j1', '--image=busybox', '-n', NS, '--', 'echo', 'hi'], True),
    ('cronjob', ['create', 'cronjob', 'cj1', '--schedule=*/5 * * * *', '--image=busybox',
                 '-n', NS], True),
    ('token', ['create', 'token', 'default', '-n', NS], False),
    ('token_bound', ['create', 'token', 'sa1', '-n', NS, '--duration=20m',
                     '--audience=https://example.test', '--bound-object-kind=Secret',
                     '--bound-object-name=s1', '--bound-object-uid=0f3e2d1c'], False),
    ('can_i', ['auth', 'can-i', 'get', 'pods', '-n', NS], False),
    ('can_i_list', ['auth', 'can-i', '--list', '-n', NS], False),
]

CORE = [('namespaces', 'Namespace', False), ('configmaps', 'ConfigMap', True),
        ('secrets', 'Secret', True), ('serviceaccounts', 'ServiceAccount', True),
        ('serviceaccounts/token', 'TokenRequest', True), ('services', 'Service', True),
        ('resourcequotas', 'ResourceQuota', True), ('pods', 'Pod', True)]
GROUPS = {
    'apps': [('deployments', 'Deployment', True)],
    'batch': [('jobs', 'Job', True), ('cronjobs', 'CronJob', True)],
    'rbac.authorization.k8s.io': [('roles', 'Role', True), ('rolebindings', 'RoleBinding', True),
                                  ('clusterroles', 'ClusterRole', False),
                                  ('clusterrolebindings', 'ClusterRoleBinding', False)],
    'authorization.k8s.io': [('selfsubjectaccessreviews', 'SelfSubjectAccessReview', False),
                             ('selfsubjectrulesreviews', 'SelfSubjectRulesReview', False)],
    'authentication.k8s.io': [('tokenreviews', 'TokenReview', False)],
}


def resource_list(gv, rows):
    return {'kind': 'APIResourceList', 'apiVersion': 'v1', 'groupVersion': gv,
            'resources': [{'name': n, 'singularName': '', 'namespaced': ns, 'kind': k,
                           'verbs': ['create', 'get', 'list']} for n, k, ns in rows]}


def kind_of(path):
    """Kind and apiVersion of the object a POST path creates."""
    parts = path.split('?')[0].strip('/').split('/')
    if parts[0] == 'api':
        gv, rest = 'v1', parts[2:]
        rows = CORE
    else:
        gv, rest = parts[1] + '/' + parts[2], parts[3:]
        rows = GROUPS[parts[1]]
    if rest[:1] == ['namespaces'] and len(rest) > 2:
        rest = rest[2:]
    res = rest[0] + ('/' + rest[2] if len(rest) > 2 else '')
    for n, k, _ in rows:
        if n == res:
            return ('authentication.k8s.io/v1' if k == 'TokenRequest' else gv), k
    return gv, 'Unknown'


class Handler(BaseHTTPRequestHandler):
    recorded = []

    def log_message(self, fmt, *args):
        pass

    def reply(self, code, obj):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header('Content-Type', 'application/json')
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        p = self.path.split('?')[0]
        if p == '/api':
            return self.reply(200, {'kind': 'APIVersions', 'versions': ['v1'],
                                    'serverAddressByClientCIDRs': []})
        if p == '/apis':
            return self.reply(200, {'kind': 'APIGroupList', 'apiVersion': 'v1', 'groups': [
                {'name': g, 'versions': [{'groupVersion': g + '/v1', 'version': 'v1'}],
                 'preferredVersion': {'groupVersion': g + '/v1', 'version': 'v1'}}
                for g in GROUPS]})
        if p == '/api/v1':
            return self.reply(200, resource_list('v1', CORE))
        for g, rows in GROUPS.items():
            if p == '/apis/%s/v1' % g:
                return self.reply(200, resource_list(g + '/v1', rows))
        if p == '/version':
            return self.reply(200, {'major': '1', 'minor': '32', 'gitVersion': 'v1.32.0'})
        self.reply(404, {'kind': 'Status', 'apiVersion': 'v1', 'status': 'Failure',
                         'reason': 'NotFound', 'code': 404, 'message': 'not found'})

    def do_POST(self):
        n = int(self.headers.get('Content-Length', '0'))
        body = self.rfile.read(n)
        Handler.recorded.append((self.path, self.headers.get('Content-Type'), body))
        gv, kind = kind_of(self.path)
        obj = {'apiVersion': gv, 'kind': kind, 'metadata': {'name': 'recorded'}}
        if kind == 'TokenRequest':
            obj['status'] = {'token': 'recorded', 'expirationTimestamp': '2030-01-01T00:00:00Z'}
        if kind == 'SelfSubjectAccessReview':
            obj['status'] = {'allowed': True}
        if kind == 'SelfSubjectRulesReview':
            obj['status'] = {'resourceRules': [], 'nonResourceRules': [], 'incomplete': False}
        self.reply(201, obj)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--kubectl', default='/usr/bin/kubectl')
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix='zke-pbrec-')
    try:
        cert, key = os.path.join(tmp, 'cert.pem'), os.path.join(tmp, 'key.pem')
        subprocess.run(['openssl', 'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '1',
                        '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
                        '-keyout', key, '-out', cert], check=True, capture_output=True,
                       timeout=60)
        srv = ThreadingHTTPServer(('127.0.0.1', 0), Handler)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(cert, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        kubeconfig = os.path.join(tmp, 'kubeconfig')
        with open(kubeconfig, 'w') as f:
            f.write('''apiVersion: v1
kind: Config
clusters:
- name: rec
  cluster: {server: "https://127.0.0.1:%d", insecure-skip-tls-verify: true}
users:
- name: rec
  user: {token: recorder}
contexts:
- name: rec
  context: {cluster: rec, user: rec, namespace: %s}
current-context: rec
''' % (srv.server_address[1], NS))
        env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=tmp, KUBECACHEDIR=os.path.join(tmp, 'cache'))
        for name, argv, dry in COMMANDS:
            before = len(Handler.recorded)
            r = subprocess.run([args.kubectl] + argv, env=env, capture_output=True, text=True,
                               timeout=60)
            got = Handler.recorded[before:]
            if len(got) != 1:
                print('%s: %d POSTs (%s)' % (name, len(got), r.stderr.strip()), file=sys.stderr)
                continue
            path, ctype, body = got[0]
            print('%-20s %s %s %d bytes' % (name, path, ctype, len(body)))
            if not body.startswith(b'k8s\0'):
                print('%s: not a protobuf body' % name, file=sys.stderr)
                continue
            with open(os.path.join(HERE, name + '.pb'), 'wb') as f:
                f.write(body)
            if dry:
                flags = ['--dry-run=client', '-o', 'json']
                cut = argv.index('--') if '--' in argv else len(argv)
                d = subprocess.run([args.kubectl] + argv[:cut] + flags + argv[cut:],
                                   env=env, capture_output=True, text=True, timeout=60,
                                   check=True)
                with open(os.path.join(HERE, name + '.json'), 'w') as f:
                    json.dump(json.loads(d.stdout), f, indent=2, sort_keys=True,
                              ensure_ascii=False)
                    f.write('\n')
        srv.shutdown()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()
