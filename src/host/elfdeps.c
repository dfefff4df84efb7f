/* elfdeps.c -- the interpreter and shared libraries an ELF executable
 * needs, read from its program headers and dynamic section, and their
 * copy into a jail.
 *
 * Resolution follows ld.so closely enough for a jail without ld.so.cache:
 * a DT_NEEDED name is looked up in the needing object's DT_RUNPATH (or
 * DT_RPATH), then in the search directories; a candidate of another ELF
 * class or machine is skipped (as ld.so skips /lib32 files for a 64-bit
 * program); a name already loaded -- by file name or DT_SONAME, the
 * interpreter included (libc.so.6 needs ld-linux-x86-64.so.2, which is
 * the interpreter itself) -- is not looked up again. */
#include "host/elfdeps.h"
#include "host/safeopen.h"
#include "host/tmpfile.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Limits against absurd headers: real files are far below them. */
#define MAX_DYNAMIC (1 << 20)
#define MAX_STRTAB (16 << 20)
#define MAX_NEEDED 1024

#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define HOST_ELFDATA ELFDATA2LSB
#else
#define HOST_ELFDATA ELFDATA2MSB
#endif

static const char *const default_dirs64[] = {
	"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu",
	"/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL,
};

static const char *const default_dirs32[] = {
	"/lib/i386-linux-gnu", "/usr/lib/i386-linux-gnu",
	"/lib32", "/usr/lib32", "/lib", "/usr/lib", NULL,
};

struct seg {
	uint32_t type;
	uint64_t offset, vaddr, filesz;
};

/* What one ELF file says about its dependencies. */
struct elf_info {
	int cls;           /* ELFCLASS32 or ELFCLASS64 */
	int machine;
	char *interp;      /* PT_INTERP, or NULL */
	char *soname;      /* DT_SONAME, or NULL */
	char **needed;
	int nneeded;
	char **rpath;      /* DT_RUNPATH (or DT_RPATH) directories */
	int nrpath;
};

static void info_free(struct elf_info *in)
{
	free(in->interp);
	free(in->soname);
	for (int i = 0; i < in->nneeded; i++)
		free(in->needed[i]);
	free(in->needed);
	for (int i = 0; i < in->nrpath; i++)
		free(in->rpath[i]);
	free(in->rpath);
	memset(in, 0, sizeof(*in));
}

static char *xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* pread() of exactly n bytes at off; -1 with e if the file is shorter. */
static int read_at(int fd, const char *path, void *buf, size_t n, uint64_t off,
		   const char *what, struct err *e)
{
	size_t done = 0;

	if (off > (uint64_t)INT64_MAX - n) {
		err_set(e, "%s: malformed ELF: %s at offset %llu is out of range",
			path, what, (unsigned long long)off);
		return -1;
	}
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done,
				  (off_t)(off + done));

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err_sys(e, "%s: reading %s", path, what);
			return -1;
		}
		if (r == 0) {
			err_set(e, "%s: malformed ELF: %s (%zu bytes at offset %llu) "
				"is beyond the end of the file", path, what, n,
				(unsigned long long)off);
			return -1;
		}
		done += (size_t)r;
	}
	return 0;
}

/* The file offset of virtual address addr, through the PT_LOAD segment
 * that holds it; *avail = bytes of the segment from there. */
static int vaddr_to_offset(const struct seg *ph, int nph, uint64_t addr,
			   uint64_t *off, uint64_t *avail)
{
	for (int i = 0; i < nph; i++) {
		if (ph[i].type != PT_LOAD)
			continue;
		if (addr >= ph[i].vaddr && addr - ph[i].vaddr < ph[i].filesz) {
			*off = ph[i].offset + (addr - ph[i].vaddr);
			*avail = ph[i].filesz - (addr - ph[i].vaddr);
			return 0;
		}
	}
	return -1;
}

static int read_headers(int fd, const char *path, struct elf_info *in,
			struct seg **phs, int *nphs, struct err *e)
{
	unsigned char ident[EI_NIDENT];
	uint64_t phoff, shoff;
	unsigned phentsize, phnum;
	struct stat st;
	char *raw;

	if (fstat(fd, &st) < 0) {
		err_sys(e, "%s", path);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		err_set(e, "%s: not a regular file", path);
		return -1;
	}
	if (st.st_size < EI_NIDENT ||
	    read_at(fd, path, ident, EI_NIDENT, 0, "ELF identification", e) < 0 ||
	    memcmp(ident, ELFMAG, SELFMAG) != 0) {
		err_set(e, "%s: not an ELF file", path);
		return -1;
	}
	if (ident[EI_CLASS] != ELFCLASS32 && ident[EI_CLASS] != ELFCLASS64) {
		err_set(e, "%s: unknown ELF class %u", path, ident[EI_CLASS]);
		return -1;
	}
	if (ident[EI_DATA] != HOST_ELFDATA) {
		err_set(e, "%s: ELF of foreign byte order (EI_DATA %u) is not "
			"supported", path, ident[EI_DATA]);
		return -1;
	}
	in->cls = ident[EI_CLASS];
	if (in->cls == ELFCLASS64) {
		Elf64_Ehdr h;

		if (read_at(fd, path, &h, sizeof(h), 0, "ELF header", e) < 0)
			return -1;
		in->machine = h.e_machine;
		phoff = h.e_phoff;
		shoff = h.e_shoff;
		phentsize = h.e_phentsize;
		phnum = h.e_phnum;
	} else {
		Elf32_Ehdr h;

		if (read_at(fd, path, &h, sizeof(h), 0, "ELF header", e) < 0)
			return -1;
		in->machine = h.e_machine;
		phoff = h.e_phoff;
		shoff = h.e_shoff;
		phentsize = h.e_phentsize;
		phnum = h.e_phnum;
	}
	if (phnum == PN_XNUM) {
		/* the real count is in sh_info of section header 0 */
		if (in->cls == ELFCLASS64) {
			Elf64_Shdr sh;

			if (read_at(fd, path, &sh, sizeof(sh), shoff,
				    "section header 0", e) < 0)
				return -1;
			phnum = sh.sh_info;
		} else {
			Elf32_Shdr sh;

			if (read_at(fd, path, &sh, sizeof(sh), shoff,
				    "section header 0", e) < 0)
				return -1;
			phnum = sh.sh_info;
		}
		if (phnum > 65536) {
			err_set(e, "%s: malformed ELF: %u program headers", path, phnum);
			return -1;
		}
	}
	if (phnum == 0) {
		*phs = NULL;
		*nphs = 0;
		return 0;
	}
	if (phentsize != (in->cls == ELFCLASS64 ? sizeof(Elf64_Phdr)
						: sizeof(Elf32_Phdr))) {
		err_set(e, "%s: malformed ELF: program header size %u", path,
			phentsize);
		return -1;
	}
	raw = xmalloc((size_t)phnum * phentsize);
	if (read_at(fd, path, raw, (size_t)phnum * phentsize, phoff,
		    "program headers", e) < 0) {
		free(raw);
		return -1;
	}
	*phs = xcalloc(phnum, sizeof(**phs));
	for (unsigned i = 0; i < phnum; i++) {
		struct seg *s = &(*phs)[i];

		if (in->cls == ELFCLASS64) {
			Elf64_Phdr p;

			memcpy(&p, raw + (size_t)i * phentsize, sizeof(p));
			s->type = p.p_type;
			s->offset = p.p_offset;
			s->vaddr = p.p_vaddr;
			s->filesz = p.p_filesz;
		} else {
			Elf32_Phdr p;

			memcpy(&p, raw + (size_t)i * phentsize, sizeof(p));
			s->type = p.p_type;
			s->offset = p.p_offset;
			s->vaddr = p.p_vaddr;
			s->filesz = p.p_filesz;
		}
	}
	free(raw);
	*nphs = (int)phnum;
	return 0;
}

static int read_interp(int fd, const char *path, const struct seg *s,
		       struct elf_info *in, struct err *e)
{
	char *buf;
	size_t n;

	if (s->filesz < 2 || s->filesz > PATH_MAX) {
		err_set(e, "%s: malformed ELF: PT_INTERP of %llu bytes", path,
			(unsigned long long)s->filesz);
		return -1;
	}
	buf = xmalloc(s->filesz + 1);
	if (read_at(fd, path, buf, s->filesz, s->offset, "PT_INTERP", e) < 0) {
		free(buf);
		return -1;
	}
	buf[s->filesz] = '\0';
	n = strlen(buf);
	if (n == 0) {
		err_set(e, "%s: malformed ELF: empty PT_INTERP", path);
		free(buf);
		return -1;
	}
	in->interp = xstrndup(buf, n);
	free(buf);
	return 0;
}

/* Splits a DT_RUNPATH/DT_RPATH value into absolute directories; entries
 * with $ORIGIN-like tokens or relative ones mean nothing in the jail. */
static void add_rpath(struct elf_info *in, const char *val)
{
	const char *p = val;

	while (*p) {
		size_t n = strcspn(p, ":");

		if (n > 0 && p[0] == '/' && !memchr(p, '$', n)) {
			in->rpath = xrealloc(in->rpath,
					     sizeof(*in->rpath) * (size_t)(in->nrpath + 1));
			in->rpath[in->nrpath++] = xstrndup(p, n);
		}
		p += n;
		if (*p == ':')
			p++;
	}
}

static const char *strtab_at(const char *strtab, uint64_t strsz, uint64_t off)
{
	if (off >= strsz || !memchr(strtab + off, '\0', strsz - off))
		return NULL;
	return strtab + off;
}

static int read_dynamic(int fd, const char *path, const struct seg *ph, int nph,
			const struct seg *dyn, struct elf_info *in, struct err *e)
{
	size_t entsize = in->cls == ELFCLASS64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
	uint64_t strtab_addr = 0, strsz = 0, soname = 0, runpath = 0, rpath = 0;
	uint64_t *needed = NULL, off, avail;
	int has_strtab = 0, has_soname = 0, has_runpath = 0, has_rpath = 0;
	int nneeded = 0, rc = -1;
	char *raw, *strtab = NULL;
	size_t n = (size_t)(dyn->filesz / entsize);

	if (dyn->filesz > MAX_DYNAMIC) {
		err_set(e, "%s: malformed ELF: PT_DYNAMIC of %llu bytes", path,
			(unsigned long long)dyn->filesz);
		return -1;
	}
	raw = xmalloc(n * entsize);
	if (read_at(fd, path, raw, n * entsize, dyn->offset, "PT_DYNAMIC", e) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		int64_t tag;
		uint64_t val;

		if (in->cls == ELFCLASS64) {
			Elf64_Dyn d;

			memcpy(&d, raw + i * entsize, sizeof(d));
			tag = d.d_tag;
			val = d.d_un.d_val;
		} else {
			Elf32_Dyn d;

			memcpy(&d, raw + i * entsize, sizeof(d));
			tag = d.d_tag;
			val = d.d_un.d_val;
		}
		if (tag == DT_NULL)
			break;
		switch (tag) {
		case DT_NEEDED:
			if (nneeded >= MAX_NEEDED) {
				err_set(e, "%s: malformed ELF: more than %d DT_NEEDED",
					path, MAX_NEEDED);
				goto out;
			}
			needed = xrealloc(needed, sizeof(*needed) * (size_t)(nneeded + 1));
			needed[nneeded++] = val;
			break;
		case DT_STRTAB:
			strtab_addr = val;
			has_strtab = 1;
			break;
		case DT_STRSZ:
			strsz = val;
			break;
		case DT_SONAME:
			soname = val;
			has_soname = 1;
			break;
		case DT_RUNPATH:
			runpath = val;
			has_runpath = 1;
			break;
		case DT_RPATH:
			rpath = val;
			has_rpath = 1;
			break;
		}
	}
	if (!nneeded && !has_soname && !has_runpath && !has_rpath) {
		rc = 0;
		goto out;
	}
	if (!has_strtab) {
		err_set(e, "%s: malformed ELF: a dynamic section without DT_STRTAB",
			path);
		goto out;
	}
	if (vaddr_to_offset(ph, nph, strtab_addr, &off, &avail) < 0) {
		err_set(e, "%s: malformed ELF: DT_STRTAB address 0x%llx is in no "
			"PT_LOAD segment", path, (unsigned long long)strtab_addr);
		goto out;
	}
	if (strsz == 0 || strsz > avail)
		strsz = avail;
	if (strsz > MAX_STRTAB)
		strsz = MAX_STRTAB;
	strtab = xmalloc((size_t)strsz);
	if (read_at(fd, path, strtab, (size_t)strsz, off, "dynamic string table",
		    e) < 0)
		goto out;
	for (int i = 0; i < nneeded; i++) {
		const char *s = strtab_at(strtab, strsz, needed[i]);

		if (!s || !*s) {
			err_set(e, "%s: malformed ELF: DT_NEEDED string offset %llu",
				path, (unsigned long long)needed[i]);
			goto out;
		}
		in->needed = xrealloc(in->needed,
				      sizeof(*in->needed) * (size_t)(in->nneeded + 1));
		in->needed[in->nneeded++] = xstrdup(s);
	}
	if (has_soname) {
		const char *s = strtab_at(strtab, strsz, soname);

		if (s && *s)
			in->soname = xstrdup(s);
	}
	/* ld.so ignores DT_RPATH when DT_RUNPATH is present */
	if (has_runpath || has_rpath) {
		const char *s = strtab_at(strtab, strsz, has_runpath ? runpath : rpath);

		if (s)
			add_rpath(in, s);
	}
	rc = 0;
out:
	free(raw);
	free(strtab);
	free(needed);
	return rc;
}

/* Reads what path says about its dependencies. */
static int elf_read(const char *path, struct elf_info *in, struct err *e)
{
	struct seg *ph = NULL;
	int fd, nph = 0, rc = -1;

	memset(in, 0, sizeof(*in));
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err_sys(e, "%s", path);
		return -1;
	}
	if (read_headers(fd, path, in, &ph, &nph, e) < 0)
		goto out;
	for (int i = 0; i < nph; i++) {
		if (ph[i].type == PT_INTERP && !in->interp &&
		    read_interp(fd, path, &ph[i], in, e) < 0)
			goto out;
	}
	for (int i = 0; i < nph; i++) {
		if (ph[i].type == PT_DYNAMIC) {
			if (read_dynamic(fd, path, ph, nph, &ph[i], in, e) < 0)
				goto out;
			break;
		}
	}
	rc = 0;
out:
	if (rc < 0)
		info_free(in);
	free(ph);
	close(fd);
	return rc;
}

/* ---- following the dependencies -------------------------------------- */

struct names {
	char **v;
	int n;
};

static int names_has(const struct names *s, const char *name)
{
	for (int i = 0; i < s->n; i++)
		if (!strcmp(s->v[i], name))
			return 1;
	return 0;
}

static void names_add(struct names *s, const char *name)
{
	if (!name || names_has(s, name))
		return;
	s->v = xrealloc(s->v, sizeof(*s->v) * (size_t)(s->n + 1));
	s->v[s->n++] = xstrdup(name);
}

static void names_free(struct names *s)
{
	for (int i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

static int add_dep(struct elf_deps *out, const char *jail_path,
		   const char *owner, struct err *e)
{
	char *host = realpath(jail_path, NULL);
	struct elf_dep *d;

	if (!host) {
		err_sys(e, "%s: %s", owner, jail_path);
		return -1;
	}
	out->v = xrealloc(out->v, sizeof(*out->v) * (size_t)(out->n + 1));
	d = &out->v[out->n++];
	d->jail_path = xstrdup(jail_path);
	d->host_path = host;
	return 0;
}

/* Finds name for obj: the path it is known by in *found and its parsed
 * info in *lib. 0 when not found. */
static int lookup(const char *name, const struct elf_info *obj,
		  const char *const *search, char **found, struct elf_info *lib)
{
	struct err ignored;
	int nsearch = 0;

	while (search[nsearch])
		nsearch++;
	for (int i = 0; i < obj->nrpath + nsearch; i++) {
		const char *dir = i < obj->nrpath ? obj->rpath[i]
						  : search[i - obj->nrpath];
		size_t dl = strlen(dir);
		char *path;

		while (dl > 0 && dir[dl - 1] == '/')
			dl--;
		path = xasprintf("%.*s/%s", (int)dl, dir, name);
		if (access(path, F_OK) == 0 && elf_read(path, lib, &ignored) == 0) {
			if (lib->cls == obj->cls && lib->machine == obj->machine) {
				*found = path;
				return 1;
			}
			info_free(lib);
		}
		free(path);
	}
	return 0;
}

static void search_text(const struct elf_info *obj, const char *const *search,
			struct strbuf *sb)
{
	for (int i = 0; i < obj->nrpath; i++)
		sb_printf(sb, "%s%s", sb->len ? ", " : "", obj->rpath[i]);
	for (int i = 0; search[i]; i++)
		sb_printf(sb, "%s%s", sb->len ? ", " : "", search[i]);
}

int elf_deps(const char *exe, const char *const *search, struct elf_deps *out,
	     struct err *e)
{
	struct elf_info *objs = NULL, interp;
	char **owners = NULL;
	struct names known = { NULL, 0 };
	int nobjs = 0;
	struct stat st;

	memset(out, 0, sizeof(*out));
	objs = xcalloc(1, sizeof(*objs));
	owners = xcalloc(1, sizeof(*owners));
	if (elf_read(exe, &objs[0], e) < 0)
		goto fail;
	owners[0] = xstrdup(exe);
	nobjs = 1;
	if (!objs[0].interp) {
		out->is_static = 1;
		goto done;
	}
	if (!search)
		search = objs[0].cls == ELFCLASS32 ? default_dirs32 : default_dirs64;

	/* the interpreter, by the path the executable names */
	if (objs[0].interp[0] != '/') {
		err_set(e, "%s: interpreter %s is not an absolute path", exe,
			objs[0].interp);
		goto fail;
	}
	if (stat(objs[0].interp, &st) < 0) {
		err_sys(e, "%s: interpreter %s", exe, objs[0].interp);
		goto fail;
	}
	if (elf_read(objs[0].interp, &interp, e) < 0)
		goto fail;
	names_add(&known, base_name(objs[0].interp));
	names_add(&known, interp.soname);
	info_free(&interp);
	if (add_dep(out, objs[0].interp, exe, e) < 0)
		goto fail;

	/* breadth first: the executable's libraries, then theirs */
	for (int k = 0; k < nobjs; k++) {
		for (int i = 0; i < objs[k].nneeded; i++) {
			const char *name = objs[k].needed[i];
			struct elf_info lib;
			char *path = NULL;

			if (names_has(&known, name))
				continue;
			names_add(&known, name);
			if (strchr(name, '/')) {
				if (name[0] != '/') {
					err_set(e, "%s: needed library %s: a relative path",
						owners[k], name);
					goto fail;
				}
				if (elf_read(name, &lib, e) < 0)
					goto fail;
				path = xstrdup(name);
			} else if (!lookup(name, &objs[k], search, &path, &lib)) {
				struct strbuf sb;

				sb_init(&sb);
				search_text(&objs[k], search, &sb);
				err_set(e, "%s: needed library %s: not found (a %d-bit "
					"ELF for machine %d) in %s", owners[k], name,
					objs[k].cls == ELFCLASS64 ? 64 : 32,
					objs[k].machine, sb.buf);
				sb_free(&sb);
				goto fail;
			}
			if (add_dep(out, path, owners[k], e) < 0) {
				free(path);
				info_free(&lib);
				goto fail;
			}
			names_add(&known, lib.soname);
			objs = xrealloc(objs, sizeof(*objs) * (size_t)(nobjs + 1));
			owners = xrealloc(owners, sizeof(*owners) * (size_t)(nobjs + 1));
			objs[nobjs] = lib;
			owners[nobjs] = path;
			nobjs++;
		}
	}
done:
	for (int k = 0; k < nobjs; k++) {
		info_free(&objs[k]);
		free(owners[k]);
	}
	free(objs);
	free(owners);
	names_free(&known);
	return 0;
fail:
	for (int k = 0; k < nobjs; k++) {
		info_free(&objs[k]);
		free(owners[k]);
	}
	free(objs);
	free(owners);
	names_free(&known);
	elf_deps_free(out);
	return -1;
}

void elf_deps_free(struct elf_deps *d)
{
	if (!d)
		return;
	for (int i = 0; i < d->n; i++) {
		free(d->v[i].jail_path);
		free(d->v[i].host_path);
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
	d->is_static = 0;
}

/* ---- installing into the jail ---------------------------------------- */

/* Installs one file unless the copy is current (same size and mtime,
 * root's, mode 0555: nobody writes it). */
static int install_one(const struct elf_dep *d, int root, const char *jail,
		       struct err *e)
{
	const char *rel = d->jail_path, *slash, *name;
	struct stat src, cur;
	char *dst;
	int dfd, rc = -1;

	while (*rel == '/')
		rel++;
	slash = strrchr(rel, '/');
	name = slash ? slash + 1 : rel;
	dst = xasprintf("%s/%s", jail, rel);
	if (stat(d->host_path, &src) < 0) {
		err_sys(e, "%s", d->host_path);
		goto out;
	}
	/* a name in the kernel's headers cannot place a copy outside the
	 * jail: no symlink, "." or ".." on the way */
	dfd = so_mkdirs(root, rel, slash ? (size_t)(slash - rel) : 0, 0755, jail, e);
	if (dfd < 0)
		goto out;
	if (fstatat(dfd, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISREG(cur.st_mode) && cur.st_uid == 0 &&
	    (cur.st_mode & 07777) == 0555 && cur.st_size == src.st_size &&
	    cur.st_mtim.tv_sec == src.st_mtim.tv_sec &&
	    cur.st_mtim.tv_nsec == src.st_mtim.tv_nsec)
		rc = 0;
	else
		rc = tmpfile_copy(d->host_path, dfd, name, 0555, dst, e);
	close(dfd);
out:
	free(dst);
	return rc;
}

int elf_deps_install(const struct elf_deps *d, const char *jail, struct err *e)
{
	if (!jail || !*jail) {
		err_set(e, "elf_deps_install: empty jail directory");
		return -1;
	}
	size_t jl = strlen(jail);
	char *top;
	int root, rc = 0;

	while (jl > 1 && jail[jl - 1] == '/')
		jl--;
	top = xasprintf("%.*s", (int)jl, jail);
	root = open(top, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0) {
		err_sys(e, "jail %s", top);
		free(top);
		return -1;
	}
	for (int i = 0; i < d->n && rc == 0; i++)
		rc = install_one(&d->v[i], root, top, e);
	close(root);
	free(top);
	return rc;
}
