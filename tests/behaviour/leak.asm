; The post: "If you forget to free, the memory will sit there forever."
; A 64-byte block is allocated, written, and never freed: at exit nothing points to it.
; EXPECT: memboss: ERROR: leak
; EXPECT: 64 bytes in 1 block is definitely lost
; EXPECT: allocated by thread
; EXPECT: in main
; EXPECT-STATUS: 1
        global  main
        extern  malloc
        section .text
main:
        push    rbx
        mov     rdi, 64
        call    malloc
        mov     rcx, 0x1122334455667788
        mov     [rax], rcx
        xor     eax, eax          ; the only copy of the pointer is gone
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
