; Use after free, write: a store into a freed block.
; EXPECT: memboss: ERROR: heap-use-after-free
; EXPECT: WRITE at
; EXPECT: 64-byte block
; EXPECT: the block was freed by thread
; EXPECT: memboss: END
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
        mov     dword [rbx], 0x41414141
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
