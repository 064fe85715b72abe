; A corrupted rbp and stack: rbp points to a forged frame record outside the stack whose
; return address is in never_called, and the words above the return address are garbage.
; Capturing the stack must not crash, and must not invent never_called's frame.
; EXPECT: memboss: ERROR: leak
; EXPECT: in main
; EXPECT-NOT: never_called
; EXPECT-STATUS: 1
        global  main
        extern  malloc
        section .text
never_called:
        call    malloc              ; only its return address is used, in the forged record
.after:
        ret
main:
        push    rbp
        push    rbx
        mov     rax, 0x4141414141414141
        push    rax                 ; garbage where a frame record could be
        push    rax
        push    rax                 ; (five pushes: the stack stays aligned for the call)
        lea     rbp, [rel forged]
        mov     rdi, 40
        call    malloc
        mov     qword [rax], 2
        add     rsp, 24
        pop     rbx
        pop     rbp
        xor     eax, eax
        ret
        section .data
forged: dq      forged, never_called.after
        section .note.GNU-stack noalloc noexec nowrite progbits
