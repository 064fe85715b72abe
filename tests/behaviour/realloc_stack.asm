; realloc of a stack address.
; EXPECT: memboss: ERROR: invalid-realloc
; EXPECT: on the stack of thread
; EXPECT: memboss: END
; EXPECT-STATUS: 1
        extern  realloc, free
        global  main
        section .text
main:
        sub     rsp, 40
        mov     qword [rsp+16], 0
        lea     rdi, [rsp+16]
        mov     esi, 64
        call    realloc
        mov     rdi, rax
        call    free
        xor     eax, eax
        add     rsp, 40
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
