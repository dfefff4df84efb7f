#!/usr/bin/env python3
# The test vectors of umlmon-auth-1 (docs/PROTOCOL.md, "A worked example"),
# computed independently of the C code with Python's hashlib and hmac:
# test_auth.c holds what this prints. Run: python3 tests/unit/auth_vectors.py
import hashlib
import hmac
import struct


def key(password, vm, iterations):
    return hashlib.pbkdf2_hmac('sha256', password.encode(),
                               b'umlmon-auth-1:' + vm.encode(), iterations, 32)


def transcript(vm, cnonce, snonce, iterations, binding):
    return (b'umlmon-auth-1' + struct.pack('>I', len(vm)) + vm.encode() +
            cnonce + snonce + struct.pack('>I', iterations) +
            struct.pack('>I', len(binding)) + binding)


def mac(k, data):
    return hmac.new(k, data, hashlib.sha256).digest()


vm, it = 'vm1', 10000
cnonce = bytes(range(0x00, 0x20))
snonce = bytes(range(0xa0, 0xc0))
binding = bytes(range(0x40, 0x60))
K = key('correct horse battery', vm, it)
M = key('master password 1', vm, it)
print('K (vm1, "correct horse battery")', K.hex())
print('M (vm1, "master password 1")', M.hex())
print('M (vm2, "master password 1")', key('master password 1', 'vm2', it).hex())
# a key file's lines (umladmin password --master, the default iterations)
for v in ('vm1', 'vm2'):
    print('key line', repr('umlmon-key-1 %s 100000 %s\n' % (
        v, key('master password 1', v, 100000).hex())))
for name, b in (('without TLS', b''), ('binding 40..5f', binding)):
    t = transcript(vm, cnonce, snonce, it, b)
    print(name, 'T', t.hex())
    for label in ('client proof', 'server proof', 'client to server',
                  'server to client'):
        print(name, label, mac(K, label.encode() + t).hex())
    print(name, 'client proof with M', mac(M, b'client proof' + t).hex())
c2s = mac(K, b'client to server' + transcript(vm, cnonce, snonce, it, b''))
for seq, msg in ((0, b'hello'), (1, b'')):
    body = struct.pack('>Q', seq) + msg
    print('sealed record', seq, (body + mac(c2s, body)).hex())

# The worked example's records (RFC 5531 call and reply headers, XDR of
# rpc/umlmonctrl.x and rpc/umldir.x), each with its record mark.
PROG, DIRPROG = 0x20554d4c, 0x20554d44


def u32(*v):
    return b''.join(struct.pack('>I', x) for x in v)


def xstring(s):
    b = s.encode()
    return u32(len(b)) + b + b'\0' * (-len(b) % 4)


def call(xid, prog, proc, args):
    # xid, CALL, rpcvers 2, prog, vers 1, proc, AUTH_NONE cred and verf
    return u32(xid, 0, 2, prog, 1, proc, 0, 0, 0, 0) + args


def reply(xid, res):
    # xid, REPLY, MSG_ACCEPTED, AUTH_NONE verf, SUCCESS
    return u32(xid, 1, 0, 0, 0, 0) + res


def record(body):
    return u32(0x80000000 | len(body)) + body


def sealed(key, seq, msg):
    body = struct.pack('>Q', seq) + msg
    return record(body + mac(key, body))


t = transcript(vm, cnonce, snonce, it, b'')
s2c = mac(K, b'server to client' + t)
ok = u32(0) + xstring('')                    # um_result {UM_OK, ""}
example = [
    ('UM_AUTH_HELLO call', record(call(1, PROG, 22, u32(1) + xstring(vm) + cnonce))),
    ('UM_AUTH_HELLO reply', record(reply(1, ok + u32(1, it) + snonce))),
    ('UM_AUTH_PROVE call', record(call(2, PROG, 23, mac(K, b'client proof' + t)))),
    ('UM_AUTH_PROVE reply', record(reply(2, ok + mac(K, b'server proof' + t)))),
    ('UM_NULL call, sealed', sealed(c2s, 0, call(3, PROG, 0, b''))),
    ('UM_NULL reply, sealed', sealed(s2c, 0, reply(3, b''))),
    ('UD_REDIRECT call', record(call(1, DIRPROG, 3, xstring(vm)))),
    ('UD_REDIRECT reply', record(reply(1, ok + u32(40123, 0)))),
]
for name, rec in example:
    print(name, rec.hex())
