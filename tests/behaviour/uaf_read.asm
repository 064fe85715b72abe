; Use after free, read: a load from a freed block whose value is never used.
; EXPECT: memboss: ERROR: heap-use-after-free
; EXPECT: READ at
; EXPECT: offset 8 of a 64-byte block
; EXPECT: the block was allocated by thread
; EXPECT: the block was freed by thread
; EXPECT: in main
; EXPECT: memboss: END
; EXPECT-NOT: memboss: ERROR: segv
; EXPECT-STATUS: 139
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
        mov     rax, [rbx+8]            ; the value is never used
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
