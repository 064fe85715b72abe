// A load of the field at offset 16 through a NULL structure pointer.
// EXPECT: memboss: ERROR: null-dereference
// EXPECT: READ at
// EXPECT: memboss: END
// EXPECT-STATUS: 139
struct record {
    long id;
    long size;
    long count; // offset 16
};

int main(void)
{
    struct record *volatile r = 0;
    long n = r->count;
    return (int)n;
}
