; realloc of a block that was already freed. Whatever realloc returns is freed (free(NULL)
; is fine), so the only bug is the realloc.
; EXPECT-ANY: memboss: ERROR: double-free || memboss: ERROR: invalid-realloc
; EXPECT: 64-byte block
; EXPECT: memboss: END
; EXPECT-STATUS: 1
        extern  malloc, free, realloc
        global  main
        section .text
main:
        push    rbx
        mov     edi, 64
        call    malloc
        mov     rbx, rax
        mov     rdi, rbx
        call    free
        mov     rdi, rbx
        mov     esi, 128
        call    realloc
        mov     rdi, rax
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
