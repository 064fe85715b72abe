// C++ `new` goes through libstdc++'s operator new (built without frame pointers) to malloc:
// the allocation stack must still reach the user's function and its caller.
// CFLAGS: -O2 -fomit-frame-pointer
// EXPECT: memboss: ERROR: leak
// EXPECT: make_node
// EXPECT: in main
// EXPECT-STATUS: 1
#include <cstdio>

struct node {
    long value;
    node *next;
};

__attribute__((noinline)) static node *make_node(long v)
{
    node *n = new node{v, nullptr};
    __asm__ volatile("" ::: "memory");
    return n;
}

int main()
{
    node *n = make_node(7);
    __asm__ volatile("" ::: "memory");
    std::printf("lost a node of value %ld\n", n->value);
    n = nullptr;
    return 0;
}
