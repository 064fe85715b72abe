; A load at offset 16 from a NULL pointer (a field of a structure that is not there).
; EXPECT: memboss: ERROR: null-dereference
; EXPECT: READ at
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        global  main
        section .text
main:
        push    rbx
        xor     ebx, ebx
        mov     rax, [rbx+16]
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
