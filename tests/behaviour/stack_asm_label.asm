; Hand-written assembly without CFI and without frame pointers: malloc called from a
; nested label of a function that keeps no frame (it only moves rsp). The stack must show
; the label and the function that called it.
; EXPECT: memboss: ERROR: leak
; EXPECT: in helper.grow
; EXPECT: in main
; EXPECT-STATUS: 1
        global  main
        extern  malloc
        section .text
helper:
        sub     rsp, 8              ; aligns the stack for the call
        mov     rdi, 48
.grow:
        call    malloc
        mov     qword [rax], 1
        add     rsp, 8
        ret
main:
        push    rbp
        mov     rbp, rsp
        call    helper
        xor     eax, eax            ; the only pointer is dropped: a leak
        pop     rbp
        ret
        section .note.GNU-stack noalloc noexec nowrite progbits
