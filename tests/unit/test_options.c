/* memboss unit tests: MEMBOSS_OPTIONS parsing, and what a set-uid program ignores.
 * Calls the runtime's parser directly (linked from libmemboss.a). */
#include "check.h"

#include "../../src/internal.h"

#include <string.h>

int main(void)
{
    static const char text[] = "log_file=/tmp/x.%p:status_dir=/tmp:verbosity=1:exitcode=7";
    struct mb_options o;

    /* An ordinary program takes every option. */
    mb__options_defaults(&o);
    mb__options_parse(&o, text, 0);
    CHECK(strcmp(o.log_file, "/tmp/x.%p") == 0);
    CHECK(strcmp(o.status_dir, "/tmp") == 0);
    CHECK(o.verbosity == 1 && o.exitcode == 7);

    /* A set-uid one (AT_SECURE) ignores the paths it could be made to write, and keeps
     * the rest. */
    mb__options_defaults(&o);
    mb__options_parse(&o, text, 1);
    CHECK(o.log_file[0] == 0);
    CHECK(o.status_dir[0] == 0);
    CHECK(o.verbosity == 1 && o.exitcode == 7);

    /* Whatever the order, and when repeated. */
    mb__options_defaults(&o);
    mb__options_parse(&o, "status_dir=/a:log_file=/b:log_file=/c", 1);
    CHECK(o.log_file[0] == 0 && o.status_dir[0] == 0);

    /* A value too long for its field keeps the default. */
    char big[400];
    memset(big, 'x', sizeof big);
    memcpy(big, "log_file=", 9);
    big[sizeof big - 1] = 0;
    mb__options_defaults(&o);
    mb__options_parse(&o, big, 0);
    CHECK(o.log_file[0] == 0);
    return check_done("options");
}
