// Infinite recursion.
// EXPECT: memboss: ERROR: stack-overflow
// EXPECT: memboss: END
// EXPECT-STATUS: 139
static volatile int forever = 1; // hides the endless recursion from the compiler's warning

static int depth(int n)
{
    if (!forever)
        return 0;
    volatile char frame[256];
    frame[0] = (char)n;
    return depth(n + 1) + frame[0];
}

int main(void)
{
    return depth(0);
}
