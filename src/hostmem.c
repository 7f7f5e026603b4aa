// SPDX-License-Identifier: MIT
/*
 * Host memory: what every back end shares (the lock, pins and their extents).
 * See include/tce/hostmem.h and hostmem_backend.h.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "hostmem_backend.h"
#include "range.h"

int hostmem_new(const struct hostmem_ops *ops, unsigned page_shift, void *backend,
		struct tce_hostmem **hostmemp)
{
	struct tce_hostmem *hostmem = tce_zalloc(sizeof(*hostmem));

	if (!hostmem)
		return -ENOMEM;
	pthread_mutex_init(&hostmem->lock, NULL); /* default attributes: cannot fail on Linux */
	hostmem->ops = ops;
	hostmem->page_shift = page_shift;
	hostmem->backend = backend;
	*hostmemp = hostmem;
	return 0;
}

struct tce_hostmem_pin *pin_alloc(uint64_t ua, uint64_t bytes, size_t n)
{
	struct tce_hostmem_pin *pin;

	if (n > (SIZE_MAX - sizeof(*pin)) / sizeof(pin->ext[0]))
		return NULL;
	pin = tce_zalloc(sizeof(*pin) + n * sizeof(pin->ext[0]));
	if (pin) {
		pin->ua = ua;
		pin->bytes = bytes;
		pin->n = n;
	}
	return pin;
}

void pin_free_unlinked(struct tce_hostmem_pin *pin)
{
	tce_free(pin);
}

uint64_t pin_ext_bytes(const struct tce_hostmem_pin *pin, size_t i)
{
	return (i + 1 < pin->n ? pin->ext[i + 1].ua_off : pin->bytes) - pin->ext[i].ua_off;
}

static void pin_release(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin)
{
	if (pin->prev)
		pin->prev->next = pin->next;
	else
		hostmem->pins = pin->next;
	if (pin->next)
		pin->next->prev = pin->prev;
	hostmem->pinned_bytes -= pin->bytes;
	if (hostmem->ops->unpin)
		hostmem->ops->unpin(hostmem, pin);
	tce_free(pin);
}

void tce_hostmem_destroy(struct tce_hostmem *hostmem)
{
	if (!hostmem)
		return;
	while (hostmem->pins)
		pin_release(hostmem, hostmem->pins);
	hostmem->ops->destroy(hostmem);
	pthread_mutex_destroy(&hostmem->lock);
	tce_free(hostmem);
}

unsigned tce_hostmem_page_shift(const struct tce_hostmem *hostmem)
{
	return hostmem->page_shift;
}

const char *tce_hostmem_backend_name(const struct tce_hostmem *hostmem)
{
	return hostmem->ops->name;
}

/* Live pins whose extents hold @hpa; under the lock. */
static uint64_t count_pins_locked(const struct tce_hostmem *hostmem, uint64_t hpa)
{
	const struct tce_hostmem_pin *pin;
	uint64_t count = 0;
	size_t i;

	for (pin = hostmem->pins; pin; pin = pin->next) {
		for (i = 0; i < pin->n; i++) {
			if (hpa >= pin->ext[i].hpa && hpa - pin->ext[i].hpa < pin_ext_bytes(pin, i)) {
				count++;
				break;
			}
		}
	}
	return count;
}

int tce_hostmem_query(struct tce_hostmem *hostmem, uint64_t ua, struct tce_host_page *page)
{
	int rc;

	if (!hostmem->ops->query)
		return -EOPNOTSUPP;
	pthread_mutex_lock(&hostmem->lock);
	rc = hostmem->ops->query(hostmem, ua, page);
	if (rc == 0)
		page->pin_count = count_pins_locked(hostmem, page->hpa);
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

int tce_hostmem_pin(struct tce_hostmem *hostmem, uint64_t ua, uint64_t size,
		    struct tce_hostmem_pin **pinp)
{
	struct tce_hostmem_pin *pin = NULL;
	int rc;

	if (!tce_range_valid(ua, size, hostmem->page_shift))
		return -EINVAL;
	pthread_mutex_lock(&hostmem->lock);
	rc = hostmem->ops->pin(hostmem, ua, size, &pin);
	if (rc == 0) {
		pin->next = hostmem->pins;
		if (hostmem->pins)
			hostmem->pins->prev = pin;
		hostmem->pins = pin;
		hostmem->pinned_bytes += size;
		*pinp = pin;
	}
	pthread_mutex_unlock(&hostmem->lock);
	return rc;
}

void tce_hostmem_unpin(struct tce_hostmem *hostmem, struct tce_hostmem_pin *pin)
{
	if (!pin)
		return;
	pthread_mutex_lock(&hostmem->lock);
	pin_release(hostmem, pin);
	pthread_mutex_unlock(&hostmem->lock);
}

size_t tce_hostmem_pin_extents(const struct tce_hostmem_pin *pin)
{
	return pin->n;
}

uint64_t tce_hostmem_pin_bytes(const struct tce_hostmem_pin *pin)
{
	return pin->bytes;
}

int tce_hostmem_pin_extent(const struct tce_hostmem_pin *pin, size_t i, struct tce_extent *extent)
{
	if (i >= pin->n)
		return -EINVAL;
	extent->ua = pin->ua + pin->ext[i].ua_off;
	extent->hpa = pin->ext[i].hpa;
	extent->bytes = pin_ext_bytes(pin, i);
	extent->page_shift = pin->ext[i].page_shift;
	return 0;
}

unsigned tce_hostmem_pin_granule_shift(const struct tce_hostmem_pin *pin)
{
	return pin->granule_shift;
}

uint64_t tce_hostmem_pin_metadata_bytes(const struct tce_hostmem_pin *pin)
{
	return sizeof(*pin) + pin->n * sizeof(pin->ext[0]);
}

int tce_hostmem_pin_translate(const struct tce_hostmem_pin *pin, uint64_t ua, uint64_t bytes,
			      uint64_t *hpa, unsigned *page_shift)
{
	uint64_t off, first_hpa;
	size_t i;

	if (bytes == 0 || !tce_range_inside(pin->ua, pin->bytes, ua, bytes))
		return -EFAULT;
	off = ua - pin->ua;
	i = pin->n == 1 ? 0 : tce_sorted_last_le(TCE_SORTED(pin->ext, pin->n, ua_off), off);
	if (!tce_range_inside(pin->ext[i].ua_off, pin_ext_bytes(pin, i), off, bytes))
		return -EPERM; /* crosses into another extent */
	first_hpa = pin->ext[i].hpa + (off - pin->ext[i].ua_off);
	if (pin->granule_shift < TCE_GRANULE_WHOLE &&
	    (first_hpa >> pin->granule_shift) != ((first_hpa + bytes - 1) >> pin->granule_shift))
		return -EPERM; /* crosses a backing page */
	*hpa = first_hpa;
	if (page_shift)
		*page_shift = pin->ext[i].page_shift;
	return 0;
}

int tce_hostmem_pin_check(struct tce_hostmem *hostmem, const struct tce_hostmem_pin *pin,
			  uint64_t *first_stale_ua)
{
	uint64_t stale = 0;
	int rc;

	pthread_mutex_lock(&hostmem->lock);
	rc = hostmem->ops->pin_check(hostmem, pin, &stale);
	pthread_mutex_unlock(&hostmem->lock);
	if (rc == 1 && first_stale_ua)
		*first_stale_ua = stale;
	return rc;
}

uint64_t tce_hostmem_pinned_bytes(struct tce_hostmem *hostmem)
{
	uint64_t bytes;

	pthread_mutex_lock(&hostmem->lock);
	bytes = hostmem->pinned_bytes;
	pthread_mutex_unlock(&hostmem->lock);
	return bytes;
}

uint64_t tce_hostmem_pin_count(struct tce_hostmem *hostmem, uint64_t hpa)
{
	uint64_t count;

	pthread_mutex_lock(&hostmem->lock);
	count = count_pins_locked(hostmem, hpa);
	pthread_mutex_unlock(&hostmem->lock);
	return count;
}
