; Read one byte past the end of a 4096-byte block.
; EXPECT: memboss: ERROR: heap-buffer-overflow
; EXPECT: READ at
; EXPECT: 0 bytes after the end of a 4096-byte block
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        extern  malloc, free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 4096
        call    malloc
        mov     rbx, rax
        movzx   eax, byte [rbx+4096]
        mov     rdi, rbx
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
