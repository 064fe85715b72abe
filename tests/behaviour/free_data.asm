; free of an address in the program's .data section.
; EXPECT: memboss: ERROR: invalid-free
; EXPECT: which malloc never returned
; EXPECT: .data
; EXPECT: memboss: END
; EXPECT-STATUS: 1
        default rel
        extern  free
        global  main
        section .data
table:  dq      1, 2, 3, 4
        section .text
main:
        push    rbx
        lea     rdi, [table]
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
