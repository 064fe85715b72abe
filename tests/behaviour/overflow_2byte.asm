; The post's overflow: malloc(2), then an 8-byte store.
; EXPECT: memboss: ERROR: heap-buffer-overflow
; EXPECT: WRITE at
; EXPECT: 2-byte block
; EXPECT: the block was allocated by thread
; EXPECT: in main
; EXPECT: memboss: END
; EXPECT-NOT: null-dereference
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     rdi, 2
        call    malloc
        mov     rbx, rax
        mov     rcx, 0x1122334455667788
        mov     [rax], rcx
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
