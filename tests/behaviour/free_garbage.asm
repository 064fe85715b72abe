; free of a garbage pointer value, 0x1234.
; EXPECT: memboss: ERROR: invalid-free
; EXPECT: 0x1234
; EXPECT: memboss: END
; EXPECT-NOT: null-dereference
; EXPECT-STATUS: 1
        extern  free
        global  main
        section .text
main:
        push    rbx
        mov     edi, 0x1234
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
