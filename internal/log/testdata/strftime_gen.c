/* Generates strftime.golden.gz: glibc's strftime(3) in the C locale for the
 * formats below, at the times below, in a few time zones. Build and run:
 *   gcc -o /tmp/strftime_gen strftime_gen.c && /tmp/strftime_gen | gzip -9 -n > strftime.golden.gz
 * Each line: unix-time TAB zone TAB hex(format) TAB hex(result), where a
 * result strftime rejects (returns 0) is "-". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *formats[] = {
	"%b %e %T", "%a %A %b %B %h", "%c", "%C", "%d", "%D", "%e", "%F",
	"%g", "%G", "%H", "%I", "%j", "%k", "%l", "%m", "%M", "%n", "%p",
	"%P", "%r", "%R", "%s", "%S", "%t", "%T", "%u", "%U", "%V", "%w",
	"%W", "%x", "%X", "%y", "%Y", "%z", "%Z", "%%", "%Q", "%", "abc%",
	"%-d", "%_d", "%0e", "%-e", "%5d", "%_5H", "%-5H", "%05e", "%10Y",
	"%^a", "%^B", "%#a", "%#p", "%#Z", "%^p", "%8b", "%08b", "%-8b",
	"%Ey", "%OH", "%Ec", "%3j", "%1j", "%_j", "%-j", "%10s", "%_3M",
	"%Y-%m-%dT%H:%M:%S%z", "%b %d %H:%M:%S", "%-m/%-d/%y %l:%M %P",
	"%5z", "%_z", "%-z", "%^Z", "%12c", "%^c", "%_10F", "%4C", "%-C",
	"%5%", "%^%", "x%5Qy", "%1z", "%2z", "%6z", "%8z", "%_6z", "%-6z",
	"%06z", "%-3d", "%_3d", "%03d", "%-1d", "%-Y", "%_Y", "%6Y", "%_6Y",
	"%-6Y", "%06Y", "%-3e", "%_3e", "%3e", "%03e", "%-2e", "%-10A",
	"%_10A", "%010A", "%^10a", "%#10a", "%-1A", "%1Q", "%_5Q", "%-5Q",
	"%05Q", "%_-5d", "%-_5d", "%0_5d", "%_05d", "%^#a", "%#^p", "%-10T",
	"%_10T", "%010T", "%010D", "%10n", "%3t", "%-5s", "%_12s", "%012s",
	"%-5G", "%_5g", "%3V", "%-U", "%_W", "%5u", "%_5w", "%-l", "%_I",
	"%-k", "%0k", "%0l", "%-5p", "%05P", "%-10Z", "%010Z",
	"%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a",
	"%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%a%",
	NULL,
};

static const long times[] = {
	0, 1701099608 /* Nov 27 2023 15:40:08 UTC */, 1704067199,
	1609372800 /* 2020-12-31 */, 1609459200 /* 2021-01-01 */,
	1798761600 /* 2027-01-01 */, 1719792000 /* 2024-07-01 */,
	1709251199 /* 2024-02-29 23:59:59 */, 946684800, 1262304000,
	1704110400 /* 2024-01-01 12:00 */, 1704153600,
};

static const char *zones[] = {"UTC", "Europe/Zurich", "America/St_Johns", "Asia/Kolkata", NULL};

static void hex(const char *s, size_t n)
{
	size_t i;
	for (i = 0; i < n; i++)
	{
		printf("%02x", (unsigned char)s[i]);
	}
}

int main(void)
{
	char buf[128];
	int f, z;
	size_t t, n;

	for (z = 0; zones[z]; z++)
	{
		setenv("TZ", zones[z], 1);
		tzset();
		for (t = 0; t < sizeof(times) / sizeof(times[0]); t++)
		{
			time_t s = times[t];
			struct tm tm;
			localtime_r(&s, &tm);
			for (f = 0; formats[f]; f++)
			{
				printf("%ld\t%s\t", times[t], zones[z]);
				hex(formats[f], strlen(formats[f]));
				printf("\t");
				n = strftime(buf, sizeof(buf), formats[f], &tm);
				if (n == 0 && strlen(formats[f]) > 0)
				{
					printf("-");
				}
				else
				{
					hex(buf, n);
				}
				printf("\n");
			}
		}
	}
	return 0;
}
