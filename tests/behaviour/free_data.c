// free of an initialized global array (in .data).
// EXPECT: memboss: ERROR: invalid-free
// EXPECT: which malloc never returned
// EXPECT: .data
// EXPECT: memboss: END
// EXPECT-STATUS: 1
#include <stdlib.h>

char table[32] = "in the data section";

int main(void)
{
    char *volatile p = table;
    free(p);
    return 0;
}
