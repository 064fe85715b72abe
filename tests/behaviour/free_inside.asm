; free of a pointer 8 bytes inside a block; then the block itself is freed correctly.
; EXPECT: memboss: ERROR: invalid-free
; EXPECT: 8 bytes inside a 64-byte block
; EXPECT: memboss ignored this free.
; EXPECT: memboss: END
; EXPECT-STATUS: 1
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 64
        call    malloc
        mov     rbx, rax
        lea     rdi, [rbx+8]
        call    free
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
