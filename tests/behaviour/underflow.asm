; Underflow: one byte written just before the start of a 32-byte block, then the block is
; freed. Caught at the store or at free.
; EXPECT: memboss: ERROR: heap-buffer-underflow
; EXPECT: 32-byte block
; EXPECT: memboss: END
; EXPECT-STATUS: 1 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 32
        call    malloc
        mov     rbx, rax
        mov     byte [rbx-1], 0x55
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
