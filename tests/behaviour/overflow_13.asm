; One byte written just past the end of a 13-byte block, then the block is freed. memboss may
; catch it at the store (the block against a guard page) or at free (a canary).
; EXPECT: memboss: ERROR: heap-buffer-overflow
; EXPECT: 13-byte block
; EXPECT: memboss: END
; EXPECT-STATUS: 1 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 13
        call    malloc
        mov     rbx, rax
        mov     byte [rbx+13], 0x55
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
