// A store through a NULL pointer.
// EXPECT: memboss: ERROR: null-dereference
// EXPECT: WRITE at
// EXPECT: in main
// EXPECT: memboss: END
// EXPECT-STATUS: 139
int main(void)
{
    int *volatile p = 0;
    *p = 1;
    return 0;
}
