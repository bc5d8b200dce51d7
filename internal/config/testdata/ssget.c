/*
 * ssget: prints strongswan.conf lookups as libstrongswan answers them, for
 * TestSettingsDifferential. Build against the strongSwan 5.9 source headers
 * and the installed library:
 *
 *   gcc -o ssget ssget.c -include ssget-config.h \
 *       -I$STRONGSWAN_SRC/src/libstrongswan \
 *       /usr/lib/ipsec/libstrongswan.so.0 -Wl,-rpath,/usr/lib/ipsec
 *
 * Usage: ssget FILE KEY... where KEY is a key (prints its value),
 * S:KEY (sub-section names) or K:KEY (key/value pairs).
 */
#include <stdio.h>
#include <string.h>
#include <library.h>
#include <settings/settings.h>

int main(int argc, char *argv[])
{
	int i;
	if (!library_init(argv[1], "charon"))
	{
		printf("INIT FAILED\n");
		library_deinit();
		return 1;
	}
	lib->settings->add_fallback(lib->settings, "%s.plugins.attr-sql", "libhydra.plugins.attr-sql", "charon");
	lib->settings->add_fallback(lib->settings, "%s.tls", "libtls", "charon");
	for (i = 2; i < argc; i++)
	{
		char *k = argv[i];
		if (strncmp(k, "S:", 2) == 0)
		{
			enumerator_t *e = lib->settings->create_section_enumerator(lib->settings, k+2);
			char *name;
			printf("%s =", k);
			while (e->enumerate(e, &name)) printf(" [%s]", name);
			printf("\n");
			e->destroy(e);
		}
		else if (strncmp(k, "K:", 2) == 0)
		{
			enumerator_t *e = lib->settings->create_key_value_enumerator(lib->settings, k+2);
			char *key, *val;
			printf("%s =", k);
			while (e->enumerate(e, &key, &val)) printf(" [%s=%s]", key, val);
			printf("\n");
			e->destroy(e);
		}
		else
		{
			char *v = lib->settings->get_str(lib->settings, k, NULL);
			if (v) printf("%s = [%s]\n", k, v); else printf("%s = <unset>\n", k);
		}
	}
	library_deinit();
	return 0;
}
