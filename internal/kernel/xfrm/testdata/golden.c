/*
 * Golden XFRM netlink messages for the tests of package xfrm.
 *
 * Each message body (everything after struct nlmsghdr) is built here
 * from the kernel's own uapi structures (<linux/xfrm.h>), independently
 * of the Go encoder, and printed as "name hex". The Go tests build the
 * same messages from kernel.SA / kernel.Policy values and compare them
 * byte for byte; the event tests decode the kernel messages built here.
 *
 * Regenerate with:
 *   gcc -Wall -o /tmp/golden golden.c && /tmp/golden > golden.txt
 * (TestGoldenGenerator does this when gcc is installed and checks that
 * golden.txt is current.)
 */
#include <stdio.h>
#include <stdint.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/xfrm.h>
#include <linux/udp.h>

static uint8_t buf[4096];
static size_t len;

static void *reserve(size_t n)
{
	void *p = buf + len;
	memset(p, 0, n);
	len += n;
	return p;
}

static void *attr(uint16_t type, size_t n)
{
	struct rtattr *rta = reserve(RTA_SPACE(n)); /* zeroed, with padding */
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(n);
	return RTA_DATA(rta);
}

static void u32attr(uint16_t type, uint32_t v)
{
	*(uint32_t *)attr(type, 4) = v;
}

static void emit(const char *name)
{
	printf("%s ", name);
	for (size_t i = 0; i < len; i++)
		printf("%02x", buf[i]);
	printf("\n");
	len = 0;
}

static void addr4(xfrm_address_t *a, const char *s) { inet_pton(AF_INET, s, &a->a4); }
static void addr6(xfrm_address_t *a, const char *s) { inet_pton(AF_INET6, s, a->a6); }

static void key(uint8_t *p, int n, uint8_t base)
{
	for (int i = 0; i < n; i++)
		p[i] = base + i;
}

static void crypt(const char *name, int keylen)
{
	struct xfrm_algo *a = attr(XFRMA_ALG_CRYPT, sizeof(*a) + keylen);
	strcpy(a->alg_name, name);
	a->alg_key_len = keylen * 8;
	key((uint8_t *)a->alg_key, keylen, 0);
}

static void aead(const char *name, int keylen, int icv)
{
	struct xfrm_algo_aead *a = attr(XFRMA_ALG_AEAD, sizeof(*a) + keylen);
	strcpy(a->alg_name, name);
	a->alg_key_len = keylen * 8;
	a->alg_icv_len = icv;
	key((uint8_t *)a->alg_key, keylen, 0);
}

static void auth(const char *name, int keylen, int trunc)
{
	struct xfrm_algo_auth *a = attr(XFRMA_ALG_AUTH_TRUNC, sizeof(*a) + keylen);
	strcpy(a->alg_name, name);
	a->alg_key_len = keylen * 8;
	a->alg_trunc_len = trunc;
	key((uint8_t *)a->alg_key, keylen, 0x80);
}

static void mark(uint32_t v, uint32_t m)
{
	struct xfrm_mark *x = attr(XFRMA_MARK, sizeof(*x));
	x->v = v;
	x->m = m;
}

static void encap(uint16_t sport, uint16_t dport)
{
	struct xfrm_encap_tmpl *t = attr(XFRMA_ENCAP, sizeof(*t));
	t->encap_type = UDP_ENCAP_ESPINUDP;
	t->encap_sport = htons(sport);
	t->encap_dport = htons(dport);
}

static void replay_esn(uint32_t window)
{
	uint32_t words = (window + 31) / 32;
	struct xfrm_replay_state_esn *r = attr(XFRMA_REPLAY_ESN_VAL, sizeof(*r) + words * 4);
	r->bmp_len = words;
	r->replay_window = window;
}

static struct xfrm_usersa_info *sa4(const char *src, const char *dst, uint32_t spi,
				     uint32_t reqid, uint8_t mode)
{
	struct xfrm_usersa_info *sa = reserve(sizeof(*sa));
	addr4(&sa->saddr, src);
	addr4(&sa->id.daddr, dst);
	sa->id.spi = htonl(spi);
	sa->id.proto = IPPROTO_ESP;
	sa->family = AF_INET;
	sa->mode = mode;
	sa->reqid = reqid;
	sa->lft.soft_byte_limit = XFRM_INF;
	sa->lft.hard_byte_limit = XFRM_INF;
	sa->lft.soft_packet_limit = XFRM_INF;
	sa->lft.hard_packet_limit = XFRM_INF;
	if (mode == XFRM_MODE_TUNNEL)
		sa->flags |= XFRM_STATE_AF_UNSPEC;
	return sa;
}

static void sas(void)
{
	struct xfrm_usersa_info *sa;

	/* outbound tunnel, AES-CBC-128 + HMAC-SHA2-256-128, rekey/life time;
	 * the replay window is dropped for outbound SAs */
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc1234567, 1, XFRM_MODE_TUNNEL);
	sa->lft.soft_add_expires_seconds = 3000;
	sa->lft.hard_add_expires_seconds = 3600;
	crypt("cbc(aes)", 16);
	auth("hmac(sha256)", 32, 128);
	emit("sa_out_aescbc_sha256");

	/* inbound (update of the larval state), AES-GCM-16 with 256-bit key
	 * and salt, UDP encapsulation, ESN with a 64 packet window, mark,
	 * interface ID, byte and packet limits */
	sa = sa4("192.168.0.2", "192.168.0.1", 0xc2000001, 2, XFRM_MODE_TUNNEL);
	sa->flags |= XFRM_STATE_ESN;
	sa->lft.soft_byte_limit = 1000000;
	sa->lft.hard_byte_limit = 2000000;
	sa->lft.soft_packet_limit = 1000;
	sa->lft.hard_packet_limit = 2000;
	sa->lft.hard_add_expires_seconds = 3600;
	aead("rfc4106(gcm(aes))", 36, 128);
	encap(4500, 4500);
	mark(42, 0xffffffff);
	u32attr(XFRMA_IF_ID, 7);
	replay_esn(64);
	emit("sa_in_gcm16_encap_esn_mark_ifid");

	/* outbound transport mode IPv6 with ChaCha20-Poly1305: the selector
	 * of the first traffic selectors, without protocol and ports */
	sa = reserve(sizeof(*sa));
	addr6(&sa->saddr, "fec0::1");
	addr6(&sa->id.daddr, "fec0::2");
	sa->id.spi = htonl(0xc3000003);
	sa->id.proto = IPPROTO_ESP;
	sa->family = AF_INET6;
	sa->mode = XFRM_MODE_TRANSPORT;
	sa->reqid = 3;
	addr6(&sa->sel.saddr, "fec0::1");
	addr6(&sa->sel.daddr, "fec0::2");
	sa->sel.prefixlen_s = 128;
	sa->sel.prefixlen_d = 128;
	sa->sel.family = AF_INET6;
	sa->lft.soft_byte_limit = XFRM_INF;
	sa->lft.hard_byte_limit = XFRM_INF;
	sa->lft.soft_packet_limit = XFRM_INF;
	sa->lft.hard_packet_limit = XFRM_INF;
	aead("rfc7539esp(chacha20,poly1305)", 36, 128);
	emit("sa_transport_v6_chacha");

	/* inbound 3DES + HMAC-SHA1-96 with the legacy 32 packet window */
	sa = sa4("192.168.0.2", "192.168.0.1", 0xc4000004, 4, XFRM_MODE_TUNNEL);
	sa->replay_window = 32;
	crypt("cbc(des3_ede)", 24);
	auth("hmac(sha1)", 20, 96);
	emit("sa_in_3des_sha1");

	/* inbound NULL + AES-XCBC-96, a 128 packet window without ESN */
	sa = sa4("192.168.0.2", "192.168.0.1", 0xc5000005, 5, XFRM_MODE_TUNNEL);
	crypt("ecb(cipher_null)", 0);
	auth("xcbc(aes)", 16, 96);
	replay_esn(128);
	emit("sa_in_null_xcbc_window128");

	/* outbound with ESN: a window of 1; AES-GCM-8 */
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc6000006, 6, XFRM_MODE_TUNNEL);
	sa->flags |= XFRM_STATE_ESN;
	aead("rfc4106(gcm(aes))", 20, 64);
	replay_esn(1);
	emit("sa_out_gcm8_esn");

	/* AES-CCM-12, AES-CTR + HMAC-SHA2-512-256, AES-CBC-256 +
	 * HMAC-SHA2-384-192, AES-CMAC, MD5, SHA256-96, CAMELLIA, BEET */
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc7000007, 7, XFRM_MODE_TUNNEL);
	aead("rfc4309(ccm(aes))", 19, 96);
	emit("sa_out_ccm12");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc7000008, 7, XFRM_MODE_TUNNEL);
	crypt("rfc3686(ctr(aes))", 20);
	auth("hmac(sha512)", 64, 256);
	emit("sa_out_ctr_sha512");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc7000009, 7, XFRM_MODE_TUNNEL);
	crypt("cbc(aes)", 32);
	auth("hmac(sha384)", 48, 192);
	emit("sa_out_aes256_sha384");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc700000a, 7, XFRM_MODE_TUNNEL);
	crypt("cbc(camellia)", 16);
	auth("cmac(aes)", 16, 96);
	emit("sa_out_camellia_cmac");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc700000b, 7, XFRM_MODE_TUNNEL);
	crypt("cbc(aes)", 16);
	auth("hmac(md5)", 16, 96);
	emit("sa_out_aes_md5");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc700000c, 7, XFRM_MODE_TUNNEL);
	crypt("cbc(aes)", 16);
	auth("hmac(sha256)", 32, 96);
	emit("sa_out_aes_sha256_96");
	sa = sa4("192.168.0.1", "192.168.0.2", 0xc700000d, 7, XFRM_MODE_BEET);
	sa->flags = 0;
	addr4(&sa->sel.saddr, "10.3.0.1");
	addr4(&sa->sel.daddr, "10.2.0.0");
	sa->sel.prefixlen_s = 32;
	sa->sel.prefixlen_d = 16;
	sa->sel.family = AF_INET;
	aead("rfc4106(gcm(aes))", 20, 128);
	emit("sa_out_beet");
}

static void spis(void)
{
	struct xfrm_userspi_info *spi;

	spi = reserve(sizeof(*spi));
	addr4(&spi->info.saddr, "192.168.0.2");
	addr4(&spi->info.id.daddr, "192.168.0.1");
	spi->info.id.proto = IPPROTO_ESP;
	spi->info.mode = XFRM_MODE_TUNNEL;
	spi->info.family = AF_INET;
	spi->min = 0xc0000000;
	spi->max = 0xcfffffff;
	emit("allocspi_v4");

	spi = reserve(sizeof(*spi));
	addr6(&spi->info.saddr, "fec0::2");
	addr6(&spi->info.id.daddr, "fec0::1");
	spi->info.id.proto = IPPROTO_ESP;
	spi->info.mode = XFRM_MODE_TUNNEL;
	spi->info.family = AF_INET6;
	spi->min = 0xc0000000;
	spi->max = 0xcfffffff;
	emit("allocspi_v6");
}

static void said(void)
{
	struct xfrm_usersa_id *id;

	id = reserve(sizeof(*id));
	addr4(&id->daddr, "192.168.0.1");
	id->spi = htonl(0xc2000001);
	id->family = AF_INET;
	id->proto = IPPROTO_ESP;
	mark(42, 0xffffffff);
	emit("getsa_mark");

	id = reserve(sizeof(*id));
	addr6(&id->daddr, "fec0::2");
	id->spi = htonl(0xc3000003);
	id->family = AF_INET6;
	id->proto = IPPROTO_ESP;
	emit("delsa_v6");
}

static struct xfrm_userpolicy_info *pol(uint8_t dir, uint32_t prio, uint8_t action)
{
	struct xfrm_userpolicy_info *p = reserve(sizeof(*p));
	p->dir = dir;
	p->priority = prio;
	p->action = action;
	p->share = XFRM_SHARE_ANY;
	p->lft.soft_byte_limit = XFRM_INF;
	p->lft.soft_packet_limit = XFRM_INF;
	p->lft.hard_byte_limit = XFRM_INF;
	p->lft.hard_packet_limit = XFRM_INF;
	return p;
}

static void sel4(struct xfrm_selector *sel, const char *s, int sl, const char *d, int dl)
{
	sel->family = AF_INET;
	addr4(&sel->saddr, s);
	addr4(&sel->daddr, d);
	sel->prefixlen_s = sl;
	sel->prefixlen_d = dl;
}

static void tmpl4(const char *s, const char *d, uint32_t spi, uint32_t reqid, uint8_t mode)
{
	struct xfrm_user_tmpl *t = attr(XFRMA_TMPL, sizeof(*t));
	t->reqid = reqid;
	t->id.proto = IPPROTO_ESP;
	t->id.spi = htonl(spi);
	t->aalgos = t->ealgos = t->calgos = ~0;
	t->mode = mode;
	t->family = AF_INET;
	if (mode == XFRM_MODE_TUNNEL) {
		addr4(&t->saddr, s);
		addr4(&t->id.daddr, d);
	}
}

static void policies(void)
{
	struct xfrm_userpolicy_info *p;
	struct xfrm_userpolicy_id *id;
	struct xfrm_user_tmpl *t;

	/* 400000 - (16+16)*512 - 1 */
	p = pol(XFRM_POLICY_OUT, 383615, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.1.0.0", 16, "10.2.0.0", 16);
	tmpl4("192.168.0.1", "192.168.0.2", 0xc1234567, 1, XFRM_MODE_TUNNEL);
	emit("policy_out_tunnel");

	/* inbound: no SPI in the template */
	p = pol(XFRM_POLICY_IN, 383615, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.2.0.0", 16, "10.1.0.0", 16);
	tmpl4("192.168.0.2", "192.168.0.1", 0, 1, XFRM_MODE_TUNNEL);
	emit("policy_in_tunnel");

	p = pol(XFRM_POLICY_FWD, 383615, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.2.0.0", 16, "10.1.0.0", 16);
	tmpl4("192.168.0.2", "192.168.0.1", 0, 1, XFRM_MODE_TUNNEL);
	mark(42, 0xffffffff);
	u32attr(XFRMA_IF_ID, 7);
	emit("policy_fwd_mark_ifid");

	/* trap: ROUTED priority (no -1), no SPI */
	p = pol(XFRM_POLICY_OUT, 383616, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.1.0.0", 16, "10.2.0.0", 16);
	tmpl4("192.168.0.1", "192.168.0.2", 0, 1, XFRM_MODE_TUNNEL);
	emit("policy_out_trap");

	/* pass shunt for ICMP echo requests to a /24:
	 * 200000 - 24*512 - 256 - 16*4 - 1; type 8 in the source port */
	p = pol(XFRM_POLICY_OUT, 187391, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "0.0.0.0", 0, "192.168.0.0", 24);
	p->sel.proto = IPPROTO_ICMP;
	p->sel.sport = htons(8);
	p->sel.sport_mask = 0xffff;
	emit("policy_pass_icmp");

	/* drop shunt, TCP from ports 1000-2000 to port 80:
	 * 600000 - (24+32)*512 - 256 - (5+16)*4 - 1 */
	p = pol(XFRM_POLICY_OUT, 570987, XFRM_POLICY_BLOCK);
	sel4(&p->sel, "10.1.0.0", 24, "10.2.0.5", 32);
	p->sel.proto = IPPROTO_TCP;
	p->sel.sport = htons(0);
	p->sel.sport_mask = htons(0xf800);
	p->sel.dport = htons(80);
	p->sel.dport_mask = 0xffff;
	emit("policy_drop_ports");

	/* transport mode IPv6 host-to-host: no addresses in the template;
	 * 400000 - 256*512 - 1; restricted to interface index 3: -2 */
	p = pol(XFRM_POLICY_OUT, 268925, XFRM_POLICY_ALLOW);
	p->sel.family = AF_INET6;
	addr6(&p->sel.saddr, "fec0::1");
	addr6(&p->sel.daddr, "fec0::2");
	p->sel.prefixlen_s = 128;
	p->sel.prefixlen_d = 128;
	p->sel.ifindex = 3;
	t = attr(XFRMA_TMPL, sizeof(*t));
	t->reqid = 3;
	t->id.proto = IPPROTO_ESP;
	t->id.spi = htonl(0xc3000003);
	t->aalgos = t->ealgos = t->calgos = ~0;
	t->mode = XFRM_MODE_TRANSPORT;
	t->family = AF_INET6;
	emit("policy_transport_v6_iface");

	/* a manual priority */
	p = pol(XFRM_POLICY_OUT, 1000, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.1.0.0", 16, "10.2.0.0", 16);
	tmpl4("192.168.0.1", "192.168.0.2", 0xc1234567, 1, XFRM_MODE_TUNNEL);
	emit("policy_out_manual_prio");

	/* a range selector: 10.1.0.5..10.1.0.9 becomes 10.1.0.0/28;
	 * 400000 - (28+16)*512 - 1 */
	p = pol(XFRM_POLICY_OUT, 377471, XFRM_POLICY_ALLOW);
	sel4(&p->sel, "10.1.0.0", 28, "10.2.0.0", 16);
	tmpl4("192.168.0.1", "192.168.0.2", 0xc1234567, 1, XFRM_MODE_TUNNEL);
	emit("policy_out_range");

	id = reserve(sizeof(*id));
	sel4(&id->sel, "10.2.0.0", 16, "10.1.0.0", 16);
	id->dir = XFRM_POLICY_FWD;
	mark(42, 0xffffffff);
	u32attr(XFRMA_IF_ID, 7);
	emit("policy_id_fwd_mark_ifid");
}

/* messages of the kernel */
static void events(void)
{
	struct xfrm_user_acquire *acq;
	struct xfrm_user_expire *exp;
	struct xfrm_user_mapping *map;
	struct xfrm_userpolicy_id *id;
	struct xfrm_user_tmpl *t;
	struct xfrm_user_migrate *mig;
	struct xfrm_user_kmaddress *km;

	/* a ping from 10.1.0.1 to 10.2.0.5 matched a trap with reqid 7 */
	acq = reserve(sizeof(*acq));
	addr4(&acq->id.daddr, "192.168.0.2");
	acq->id.proto = IPPROTO_ESP;
	addr4(&acq->saddr, "192.168.0.1");
	sel4(&acq->sel, "10.1.0.1", 32, "10.2.0.5", 32);
	acq->sel.proto = IPPROTO_ICMP;
	acq->sel.sport = htons(8);
	acq->sel.sport_mask = 0xffff;
	acq->sel.dport = htons(0);
	acq->sel.dport_mask = 0xffff;
	acq->policy.dir = XFRM_POLICY_OUT;
	acq->policy.priority = 383616;
	sel4(&acq->policy.sel, "10.1.0.0", 16, "10.2.0.0", 16);
	acq->aalgos = acq->ealgos = acq->calgos = ~0;
	acq->seq = 1;
	t = attr(XFRMA_TMPL, sizeof(*t));
	t->reqid = 7;
	t->id.proto = IPPROTO_ESP;
	t->mode = XFRM_MODE_TUNNEL;
	t->family = AF_INET;
	addr4(&t->saddr, "192.168.0.1");
	addr4(&t->id.daddr, "192.168.0.2");
	t->aalgos = t->ealgos = t->calgos = ~0;
	attr(XFRMA_POLICY_TYPE, sizeof(struct xfrm_userpolicy_type));
	emit("ev_acquire_icmp");

	/* TCP over IPv6 from port 40000 to 80, reqid 9 */
	acq = reserve(sizeof(*acq));
	addr6(&acq->id.daddr, "fec0::2");
	acq->id.proto = IPPROTO_ESP;
	addr6(&acq->saddr, "fec0::1");
	acq->sel.family = AF_INET6;
	addr6(&acq->sel.saddr, "fec1::1");
	addr6(&acq->sel.daddr, "fec2::5");
	acq->sel.prefixlen_s = 128;
	acq->sel.prefixlen_d = 128;
	acq->sel.proto = IPPROTO_TCP;
	acq->sel.sport = htons(40000);
	acq->sel.sport_mask = 0xffff;
	acq->sel.dport = htons(80);
	acq->sel.dport_mask = 0xffff;
	t = attr(XFRMA_TMPL, sizeof(*t));
	t->reqid = 9;
	t->id.proto = IPPROTO_ESP;
	t->family = AF_INET6;
	emit("ev_acquire_tcp6");

	/* soft expire of an inbound SA with a mark */
	exp = reserve(sizeof(*exp));
	addr4(&exp->state.id.daddr, "192.168.0.1");
	addr4(&exp->state.saddr, "192.168.0.2");
	exp->state.id.spi = htonl(0xc2000001);
	exp->state.id.proto = IPPROTO_ESP;
	exp->state.family = AF_INET;
	exp->state.reqid = 2;
	exp->state.mode = XFRM_MODE_TUNNEL;
	exp->hard = 0;
	mark(42, 0xffffffff);
	emit("ev_expire_soft");

	exp = reserve(sizeof(*exp));
	addr6(&exp->state.id.daddr, "fec0::2");
	addr6(&exp->state.saddr, "fec0::1");
	exp->state.id.spi = htonl(0xc3000003);
	exp->state.id.proto = IPPROTO_ESP;
	exp->state.family = AF_INET6;
	exp->state.reqid = 3;
	exp->hard = 1;
	emit("ev_expire_hard_v6");

	/* the peer behind a NAT now sends from 192.168.0.3:4501 */
	map = reserve(sizeof(*map));
	addr4(&map->id.daddr, "192.168.0.1");
	map->id.spi = htonl(0xc2000001);
	map->id.family = AF_INET;
	map->id.proto = IPPROTO_ESP;
	map->reqid = 2;
	addr4(&map->old_saddr, "192.168.0.2");
	addr4(&map->new_saddr, "192.168.0.3");
	map->old_sport = htons(4500);
	map->new_sport = htons(4501);
	emit("ev_mapping");

	id = reserve(sizeof(*id));
	sel4(&id->sel, "10.1.0.0", 16, "10.2.0.0", 16);
	id->dir = XFRM_POLICY_OUT;
	mig = attr(XFRMA_MIGRATE, sizeof(*mig));
	addr4(&mig->old_saddr, "192.168.0.1");
	addr4(&mig->old_daddr, "192.168.0.2");
	addr4(&mig->new_saddr, "192.168.0.10");
	addr4(&mig->new_daddr, "192.168.0.2");
	mig->proto = IPPROTO_ESP;
	mig->mode = XFRM_MODE_TUNNEL;
	mig->reqid = 1;
	mig->old_family = mig->new_family = AF_INET;
	km = attr(XFRMA_KMADDRESS, sizeof(*km));
	addr4(&km->local, "192.168.0.10");
	addr4(&km->remote, "192.168.0.2");
	km->family = AF_INET;
	emit("ev_migrate");
}

/* UpdateSA: what the kernel answers to GETSA and GETAE, and the SA added
 * with the new endpoints (MOBIKE from 192.168.0.1 to 192.168.0.10, NAT-T
 * ports 4500 -> 4501) */
static void update(void)
{
	struct xfrm_usersa_info *sa;
	struct xfrm_aevent_id *ae;
	struct xfrm_replay_state_esn *r;
	struct xfrm_lifetime_cur *cur;
	int i;

	for (i = 0; i < 2; i++) {
		/* 0: the kernel's GETSA answer, 1: the expected NEWSA */
		sa = sa4(i ? "192.168.0.10" : "192.168.0.1", "192.168.0.2", 0xc1234567, 1, XFRM_MODE_TUNNEL);
		sa->flags |= XFRM_STATE_ESN;
		sa->lft.hard_add_expires_seconds = 3600;
		if (!i) {
			sa->curlft.bytes = 1234;
			sa->curlft.packets = 12;
			sa->curlft.add_time = 1700000000;
			sa->stats.replay_window = 32;
		}
		aead("rfc4106(gcm(aes))", 36, 128);
		if (!i) {
			encap(4500, 4500);
			replay_esn(1); /* the state when added */
			*(uint64_t *)attr(XFRMA_LASTUSED, 8) = 1700000100;
			mark(42, 0xffffffff);
		} else {
			/* the old attributes but encapsulation and replay state,
			 * then the new encapsulation and the current state */
			*(uint64_t *)attr(XFRMA_LASTUSED, 8) = 1700000100;
			mark(42, 0xffffffff);
			encap(4500, 4501);
			r = attr(XFRMA_REPLAY_ESN_VAL, sizeof(*r) + 4);
			r->bmp_len = 1;
			r->oseq = 12;
			r->oseq_hi = 1;
			r->replay_window = 1;
			cur = attr(XFRMA_LTIME_VAL, sizeof(*cur));
			cur->bytes = 1234;
			cur->packets = 12;
			cur->add_time = 1700000000;
			cur->use_time = 1700000001;
		}
		emit(i ? "update_newsa" : "update_getsa_reply");
	}

	ae = reserve(sizeof(*ae));
	addr4(&ae->sa_id.daddr, "192.168.0.2");
	ae->sa_id.spi = htonl(0xc1234567);
	ae->sa_id.family = AF_INET;
	ae->sa_id.proto = IPPROTO_ESP;
	addr4(&ae->saddr, "192.168.0.1");
	ae->flags = XFRM_AE_RVAL;
	ae->reqid = 1;
	mark(42, 0xffffffff);
	emit("update_getae");

	ae = reserve(sizeof(*ae));
	addr4(&ae->sa_id.daddr, "192.168.0.2");
	ae->sa_id.spi = htonl(0xc1234567);
	ae->sa_id.family = AF_INET;
	ae->sa_id.proto = IPPROTO_ESP;
	addr4(&ae->saddr, "192.168.0.1");
	ae->flags = XFRM_AE_RVAL;
	ae->reqid = 1;
	r = attr(XFRMA_REPLAY_ESN_VAL, sizeof(*r) + 4);
	r->bmp_len = 1;
	r->oseq = 12;
	r->oseq_hi = 1;
	r->replay_window = 1;
	cur = attr(XFRMA_LTIME_VAL, sizeof(*cur));
	cur->bytes = 1234;
	cur->packets = 12;
	cur->add_time = 1700000000;
	cur->use_time = 1700000001;
	emit("update_getae_reply");
}

int main(void)
{
	sas();
	spis();
	said();
	policies();
	events();
	update();
	return 0;
}
