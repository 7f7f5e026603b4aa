// SPDX-License-Identifier: MIT
/*
 * bench_migrate — migration stream size and save time, as ratios.
 *
 * A guest of --ram-gib GiB (default 1024: 1 TiB) has one 64-bit window of
 * 4 KiB TCEs mapping its RAM 1:1 (2^28 entries for 1 TiB: 2 GiB of table).
 * The baseline is QEMU's way: the whole table, every entry as a big-endian
 * 64-bit word, sent during the downtime. libtce sends runs while the guest
 * runs (pass 0) and, during the downtime, only the 512-entry chunks written
 * since. Reported, best of interleaved rounds:
 *  - pass 0 (the whole table as runs) against the whole table: bytes, time;
 *  - the downtime pass after 1% of the entries changed, against the whole
 *    table (what QEMU sends then): bytes, time; once with the changes in one
 *    stretch (a guest remapping a buffer), once spread uniformly at random
 *    (the worst case: nearly every chunk is dirty);
 *  - loading the downtime pass on a destination against copying the whole
 *    table back (QEMU's restore);
 *  - H_PUT_TCE while a migration records writes against H_PUT_TCE without.
 *
 * Usage: bench_migrate [--ram-gib N] [--rounds N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"
#include "tce/migrate.h"

#define DDW (UINT64_C(1) << 59)
#define LIOBN 0x80000001u
#define PAGE (UINT64_C(1) << 12)

struct vm {
	struct tce_account *account;
	struct tce_guest *g;
};

static void vm_open(struct vm *vm, uint64_t entries)
{
	struct tce_guest_config cfg;

	if (tce_account_create(TCE_ACCOUNT_UNLIMITED, &vm->account))
		exit(1);
	cfg = (struct tce_guest_config){TCE_HCALL_QEMU, vm->account, bench_read_list, NULL};
	if (tce_guest_create(&cfg, &vm->g) ||
	    tce_guest_create_table(vm->g, LIOBN, 12, DDW >> 12, entries)) {
		fprintf(stderr, "bench_migrate: cannot create the guest table\n");
		exit(1);
	}
}

static void vm_close(struct vm *vm)
{
	tce_guest_destroy(vm->g);
	tce_account_destroy(vm->account);
}

/* Map entries [from, from + n) 1:1 (TCE i = i * 4 KiB, read-write), 512 at a time. */
static void map_1to1(struct vm *vm, uint64_t from, uint64_t n, uint64_t perm)
{
	uint64_t i, k;

	for (i = 0; i < n; i += 512) {
		uint64_t cnt = n - i < 512 ? n - i : 512;

		for (k = 0; k < cnt; k++)
			bench_list_be[k] = __builtin_bswap64(((from + i + k) * PAGE) | perm);
		if (tce_h_put_tce_indirect(vm->g, LIOBN, DDW + (from + i) * PAGE, BENCH_LIST_GPA, cnt) !=
		    TCE_H_SUCCESS) {
			fprintf(stderr, "bench_migrate: mapping failed\n");
			exit(1);
		}
	}
}

/* QEMU's save: every entry of the table as a big-endian word. Returns ns. */
__attribute__((noinline)) static double qemu_save(struct tce_guest *g, uint64_t *out)
{
	struct tce_guest_view view;
	double t0 = bench_now_ns();
	uint64_t p, i;

	if (tce_guest_get_view(g, LIOBN, &view))
		exit(1);
	for (p = 0; p * 8192 < view.size; p++) {
		const uint64_t *page = view.pages[p];

		for (i = 0; i < 8192 && p * 8192 + i < view.size; i++)
			out[p * 8192 + i] = __builtin_bswap64(page ? page[i] : 0);
	}
	bench_sink += out[view.size / 2];
	return bench_now_ns() - t0;
}

/* QEMU's restore: the words back into a flat host-order table. Returns ns. */
__attribute__((noinline)) static double qemu_load(const uint64_t *in, uint64_t *table,
						  uint64_t entries)
{
	double t0 = bench_now_ns();
	uint64_t i;

	for (i = 0; i < entries; i++)
		table[i] = __builtin_bswap64(in[i]);
	bench_sink += table[entries / 3];
	return bench_now_ns() - t0;
}

/*
 * Change 1% of the entries (@restore false: read-only instead of read-write),
 * or put them back (@restore true): one stretch in the middle, or spread at
 * random (the same ones for the same @round).
 */
static void change_one_percent(struct vm *vm, uint64_t entries, bool spread, unsigned round,
			       bool restore)
{
	uint64_t n = entries / 100, i, rng = 0x9E3779B97F4A7C15ull + round;
	uint64_t perm = restore ? TCE_PERM_READ | TCE_PERM_WRITE : TCE_PERM_READ;

	if (!spread) {
		map_1to1(vm, entries / 2, n, perm);
		return;
	}
	for (i = 0; i < n; i++) {
		uint64_t idx = bench_rng(&rng) % entries;

		tce_h_put_tce(vm->g, LIOBN, DDW + idx * PAGE, (idx * PAGE) | perm);
	}
}

struct figures {
	double save_ns, load_ns;
	uint64_t bytes, runs;
};

/* One migration: pass 0, the changes, the downtime pass; each timed, loaded on @dest. */
static void one_migration(struct vm *src, uint64_t entries, bool spread, unsigned round,
			  struct figures *pass0, struct figures *downtime)
{
	struct tce_migration *out, *in;
	struct tce_migration_stats st;
	struct vm dest;
	void *stream;
	size_t len;
	double t0;

	vm_open(&dest, entries);
	tce_guest_remove_table(dest.g, LIOBN); /* the load creates it */
	if (tce_migration_start(src->g, NULL, 0, &out) || tce_migration_accept(dest.g, NULL, 0, &in))
		exit(1);
	t0 = bench_now_ns();
	if (tce_migration_save(out, false, &stream, &len))
		exit(1);
	pass0->save_ns = bench_best(pass0->save_ns, bench_now_ns() - t0);
	tce_migration_stats(out, &st);
	pass0->bytes = st.last_bytes;
	pass0->runs = st.last_runs;
	t0 = bench_now_ns();
	if (tce_migration_load(in, stream, len))
		exit(1);
	pass0->load_ns = bench_best(pass0->load_ns, bench_now_ns() - t0);
	tce_migration_free_stream(stream);

	change_one_percent(src, entries, spread, round, false);
	t0 = bench_now_ns();
	if (tce_migration_save(out, true, &stream, &len))
		exit(1);
	downtime->save_ns = bench_best(downtime->save_ns, bench_now_ns() - t0);
	tce_migration_stats(out, &st);
	downtime->bytes = st.last_bytes;
	downtime->runs = st.last_runs;
	t0 = bench_now_ns();
	if (tce_migration_load(in, stream, len))
		exit(1);
	downtime->load_ns = bench_best(downtime->load_ns, bench_now_ns() - t0);
	tce_migration_free_stream(stream);
	tce_migration_done(out);
	tce_migration_done(in);
	vm_close(&dest);
	change_one_percent(src, entries, spread, round, true); /* 1:1 again for the next round */
}

static void print_row(const char *what, const struct figures *f, double qemu_bytes,
		      double qemu_save_ns, double qemu_load_ns)
{
	printf("  %-36s %12.1f MiB %9" PRIu64 " runs  bytes 1/%-9.0f save %8.1f ms (%.1fx)  "
	       "load %8.1f ms (%.1fx)\n",
	       what, (double)f->bytes / (double)MiB, f->runs, qemu_bytes / (double)f->bytes,
	       f->save_ns / 1e6, qemu_save_ns / f->save_ns, f->load_ns / 1e6,
	       qemu_load_ns / f->load_ns);
}

/* ns per H_PUT_TCE over @n random entries of the first 1 GiB. */
__attribute__((noinline)) static double puts_ns(struct vm *vm, unsigned n, uint64_t seed)
{
	double t0 = bench_now_ns();
	unsigned i;

	for (i = 0; i < n; i++) {
		uint64_t idx = bench_rng(&seed) % 262144;

		bench_sink += (uint64_t)tce_h_put_tce(vm->g, LIOBN, DDW + idx * PAGE,
						       (idx * PAGE) | TCE_PERM_READ | TCE_PERM_WRITE);
	}
	return (bench_now_ns() - t0) / n;
}

/* H_PUT_TCE with and without dirty tracking, interleaved rounds; the best of each. */
static void tracking_cost(struct vm *vm, unsigned rounds)
{
	double off = 1e30, on = 1e30;
	struct tce_migration *mig;
	unsigned r;

	for (r = 0; r < rounds * 10; r++) {
		off = bench_best(off, puts_ns(vm, 200000, r + 1));
		if (tce_migration_start(vm->g, NULL, 0, &mig))
			exit(1);
		on = bench_best(on, puts_ns(vm, 200000, r + 1));
		tce_migration_done(mig);
	}
	printf("  H_PUT_TCE while a migration records writes: %.1f ns against %.1f ns without "
	       "(%.2fx)\n", on, off, on / off);
}

int main(int argc, char **argv)
{
	uint64_t ram = bench_arg(argc, argv, "--ram-gib", 1024) * GiB, entries = ram / PAGE;
	unsigned rounds = (unsigned)bench_arg(argc, argv, "--rounds", 3), r, s;
	struct figures pass0 = {1e30, 1e30, 0, 0}, down[2] = {{1e30, 1e30, 0, 0}, {1e30, 1e30, 0, 0}};
	double q_save = 1e30, q_load = 1e30;
	uint64_t *wire, *table;
	struct vm src;

	bench_pin_cpu();
	wire = malloc(entries * 8);
	table = malloc(entries * 8);
	if (!wire || !table) {
		fprintf(stderr, "bench_migrate: not enough memory for a %" PRIu64 " GiB guest\n",
			ram / GiB);
		return 1;
	}
	memset(wire, 0, entries * 8);
	memset(table, 0, entries * 8);
	vm_open(&src, entries);
	map_1to1(&src, 0, entries, TCE_PERM_READ | TCE_PERM_WRITE);
	printf("bench_migrate: a %" PRIu64 " GiB guest, one window of 4 KiB TCEs mapped 1:1 "
	       "(%" PRIu64 " entries, %.0f MiB of table), best of %u rounds\n",
	       ram / GiB, entries, (double)entries * 8 / (double)MiB, rounds);
	for (r = 0; r < rounds; r++) {
		q_save = bench_best(q_save, qemu_save(src.g, wire));
		q_load = bench_best(q_load, qemu_load(wire, table, entries));
		for (s = 0; s < 2; s++)
			one_migration(&src, entries, s == 1, r, &pass0, &down[s]);
	}
	printf("  %-36s %12.1f MiB %9s       %-15s save %8.1f ms         load %8.1f ms\n",
	       "QEMU: the whole table at downtime", (double)entries * 8 / (double)MiB, "-", "",
	       q_save / 1e6, q_load / 1e6);
	print_row("libtce pass 0 (guest running)", &pass0, (double)entries * 8, q_save, q_load);
	print_row("libtce downtime, 1% in one stretch", &down[0], (double)entries * 8, q_save, q_load);
	print_row("libtce downtime, 1% spread at random", &down[1], (double)entries * 8, q_save,
		  q_load);
	printf("  (ratios: QEMU's figure over libtce's; above 1, libtce sends or takes less)\n");
	tracking_cost(&src, rounds);
	vm_close(&src);
	free(wire);
	free(table);
	return 0;
}
