; free of an address inside a NASM data label (labels have no size): the report names the
; nearest label before it, with the offset.
; EXPECT: memboss: ERROR: invalid-free
; EXPECT: which malloc never returned
; EXPECT: .data
; EXPECT: variable table+16
; EXPECT-STATUS: 1
        default rel
        extern  free
        global  main
        section .data
other:  dq      0
table:  dq      1, 2, 3, 4
        section .text
main:
        push    rbx
        lea     rdi, [table + 16]
        call    free
        xor     eax, eax
        pop     rbx
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
