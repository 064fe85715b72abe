; free of a stack address.
; EXPECT: memboss: ERROR: invalid-free
; EXPECT: which malloc never returned
; EXPECT: on the stack of thread
; EXPECT: memboss: END
; EXPECT-STATUS: 1
        extern  free
        global  main
        section .text
main:
        sub     rsp, 40                 ; 32 bytes of locals; rsp stays 16-byte aligned
        mov     qword [rsp+16], 0
        lea     rdi, [rsp+16]
        call    free
        xor     eax, eax
        add     rsp, 40
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
