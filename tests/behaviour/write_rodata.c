// A store into a string literal (in read-only .rodata).
// EXPECT: memboss: ERROR: segv
// EXPECT: WRITE at
// EXPECT: .rodata
// EXPECT: memboss: END
// EXPECT-STATUS: 139
int main(void)
{
    char *volatile s = (char *)"hello";
    s[0] = 'H';
    return 0;
}
