#!/usr/bin/python3
"""boottime.py -- times boots to the login prompt on con1, round robin.

Variants (each given once or more):
  --bare NAME IMAGE 'ARGS'   /usr/bin/linux by hand: IMAGE as ubd0, con0,
                             con1 and ssl0 on ptys of its own and no
                             address randomization (as the monitor gives
                             them, umlmon(8)), ARGS added; timed from
                             the spawn to "login:" on con1; stopped with
                             mconsole cad (a clean power-off, so that no
                             boot replays a journal)
  --umlmon NAME VM LOG       "umlwatch VM -start" until "login:" in LOG
                             (the VM's con1 log); stopped with -stop
The variants take turns, so that the host's load falls on all of them
alike. Prints a table (median, p90, min, ratios to the first variant) and
writes every time to --json."""
import argparse, ctypes, json, os, pty, select, shutil, statistics
import subprocess, sys, tempfile, time

UMLWATCH = os.environ.get("UMLWATCH", "umlwatch")
KERNEL = os.environ.get("UML_KERNEL", "/usr/bin/linux")
TIMEOUT = 60.0


def bare_boot(image, args, udir):
    """Seconds from the spawn to the login prompt, or an error."""
    masters, slaves = [], []
    for _ in range(3):
        m, s = pty.openpty()
        masters.append(m)
        slaves.append(s)

    def child():
        os.setsid()
        # ADDR_NO_RANDOMIZE, as umljail's kernel-no-randomize step
        libc = ctypes.CDLL(None, use_errno=True)
        libc.personality(libc.personality(0xffffffff) | 0x0040000)
        os.dup2(slaves[1], 3)
        os.dup2(slaves[2], 4)

    shutil.rmtree(os.path.join(udir, "bare"), ignore_errors=True)
    argv = [KERNEL, "ubd0=" + image, "umid=bare", "uml_dir=" + udir,
            "con=null", "ssl=null", "con0=fd:0,fd:1", "con1=fd:3,fd:3",
            "ssl0=fd:4,fd:4"] + args
    t0 = time.monotonic()
    p = subprocess.Popen(argv, stdin=slaves[0], stdout=slaves[0],
                         stderr=slaves[0], preexec_fn=child, close_fds=False)
    for s in slaves:
        os.close(s)
    try:
        return bare_run(p, masters, t0, udir)
    finally:
        # also when interrupted: no kernel outlives the benchmark
        if p.poll() is None:
            p.kill()
            p.wait()
        for m in masters:
            os.close(m)


def bare_run(p, masters, t0, udir):
    seen, got, err = b"", None, None
    # every master is read: a console nobody reads stalls the kernel
    while got is None and time.monotonic() - t0 < TIMEOUT:
        ready, _, _ = select.select(masters, [], [], 1.0)
        now = time.monotonic()
        for fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            if fd == masters[1]:
                seen = (seen + data)[-256:]
                if b"login:" in seen:
                    got = now - t0
        if p.poll() is not None:
            err = "the bare kernel exited with %d" % p.returncode
            break
    if got is None and not err:
        err = "no login prompt within %d s" % TIMEOUT
    # power off cleanly, reading the consoles meanwhile
    sock = os.path.join(udir, "bare", "mconsole")
    subprocess.run(["uml_mconsole", sock, "cad"], stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=20)
    end = time.monotonic() + 30
    while p.poll() is None and time.monotonic() < end:
        ready, _, _ = select.select(masters, [], [], 0.2)
        for fd in ready:
            try:
                os.read(fd, 65536)
            except OSError:
                pass
    return got, err


def mon_boot(vm, log):
    off = os.path.getsize(log) if os.path.exists(log) else 0
    t0 = time.monotonic()
    r = subprocess.run([UMLWATCH, vm, "-start"], capture_output=True, text=True)
    if r.returncode:
        return None, "%s -start: %s" % (vm, r.stderr.strip())
    got = None
    while time.monotonic() - t0 < TIMEOUT:
        try:
            with open(log, "rb") as f:
                f.seek(off)
                if b"login:" in f.read():
                    got = time.monotonic() - t0
                    break
        except FileNotFoundError:
            pass
        time.sleep(0.002)
    err = None if got is not None else "no login prompt in %s within %d s" % (log, TIMEOUT)
    subprocess.run([UMLWATCH, vm, "-stop"], capture_output=True)
    return got, err


def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--json")
    ap.add_argument("--base", action="append", default=[],
                    help="a variant to give ratios to (repeatable; default: "
                    "the first)")
    ap.add_argument("--bare", nargs=3, action="append", default=[],
                    metavar=("NAME", "IMAGE", "ARGS"))
    ap.add_argument("--umlmon", nargs=3, action="append", default=[],
                    metavar=("NAME", "VM", "LOG"))
    a = ap.parse_args()
    variants = []
    # in the order given on the command line
    order = [x for x in sys.argv if x in ("--bare", "--umlmon")]
    bi = iter(a.bare)
    mi = iter(a.umlmon)
    udir = tempfile.mkdtemp(prefix="boottime-uml.")
    for kind in order:
        if kind == "--bare":
            name, image, args = next(bi)
            variants.append((name, lambda i=image, g=args.split(): bare_boot(i, g, udir)))
        else:
            name, vm, log = next(mi)
            variants.append((name, lambda v=vm, l=log: mon_boot(v, l)))
    times = {n: [] for n, _ in variants}
    errors = []
    try:
        for r in range(a.warmup + a.runs):
            for name, run in variants:
                t, err = run()
                if err:
                    errors.append("%s, run %d: %s" % (name, r + 1, err))
                    print("boottime: %s" % errors[-1], file=sys.stderr)
                elif r >= a.warmup:
                    times[name].append(t)
    finally:
        shutil.rmtree(udir, ignore_errors=True)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"times": times, "errors": errors}, f, indent=1)
    bases = a.base or [variants[0][0]]
    meds = {n: statistics.median(v) for n, v in times.items() if v}
    print("| variant | n | median | p90 | min |" +
          "".join(" median / %s |" % b for b in bases))
    print("|---|---|---|---|---|" + "---|" * len(bases))
    for name, _ in variants:
        v = times[name]
        if not v:
            print("| %s | 0 | - | - | - |" % name + " - |" * len(bases))
            continue
        print("| %s | %d | %.0f ms | %.0f ms | %.0f ms |" % (
            name, len(v), meds[name] * 1000, pct(v, 0.9) * 1000, min(v) * 1000) +
            "".join(" %.2f |" % (meds[name] / meds[b]) if b in meds else " - |"
                    for b in bases))
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
