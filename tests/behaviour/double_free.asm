; Double free: memboss reports it, ignores the second free, and the program goes on.
; EXPECT: memboss: ERROR: double-free
; EXPECT: 64-byte block
; EXPECT: the block was allocated by thread
; EXPECT: the block was freed by thread
; EXPECT: memboss: END
; EXPECT: in this process
; EXPECT-STATUS: 1
        extern  malloc, free
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
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
