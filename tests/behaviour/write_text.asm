; A store into the program's own code (.text is read-only).
; EXPECT: memboss: ERROR: segv
; EXPECT: WRITE at
; EXPECT: .text
; EXPECT: memboss: END
; EXPECT-STATUS: 139
        default rel
        global  main
        section .text
main:
        push    rbx
        lea     rbx, [main]
        mov     byte [rbx], 0xc3
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
