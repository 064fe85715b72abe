; A store through a NULL pointer.
; EXPECT: memboss: ERROR: null-dereference
; EXPECT: WRITE at
; EXPECT: in main
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        global  main
        section .text
main:
        push    rbx
        xor     ebx, ebx
        mov     qword [rbx], 1
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
